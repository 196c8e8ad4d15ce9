package burn

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"copystation/burn/disc"
	"copystation/custody/playertree"
)

// Players is what a station needs to write a disc's key block: public data
// only (docs/disc-format.md, "Disc key block (version 2)").
type Players struct {
	// Encrypter encrypts to the network's player tree under the group key
	// the station pinned; one Encrypter kept across copies keeps the
	// pairings of the cover's nodes.
	Encrypter *playertree.Encrypter
	// Revoked are the leaves revoked on the ledger at the copy's height.
	Revoked []uint32
	// Rand supplies the block key and the entries' randomness.
	Rand io.Reader
}

// keyBlock builds this copy's disc key block.
func (c *copier) keyBlock() ([]byte, error) {
	p := c.job.Players
	if p == nil || p.Encrypter == nil || p.Rand == nil {
		return nil, fmt.Errorf("%w: the player tree (group key, revoked players, randomness) is required to write the disc key block", ErrJob)
	}
	kb, err := p.Encrypter.Build(p.Revoked, c.job.MediaID, c.job.Keys.DiscKey, p.Rand)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJob, err)
	}
	return kb, nil
}

// headerRegion sizes the header region around the key block: a resumed
// copy takes header and block from the disc (h set), a new one builds the
// block now.
func (c *copier) headerRegion(ctx context.Context, md media, resume bool) (h *disc.Header, kb []byte, sectors uint32, err error) {
	if resume && md.info.NextWritable > 0 {
		if h, err = c.resumeHeader(ctx, md.info.NextWritable); err != nil {
			return nil, nil, 0, err
		}
		return h, h.KeyBlock, h.HeaderSectors, nil
	}
	if kb, err = c.keyBlock(); err != nil {
		return nil, nil, 0, err
	}
	if sectors, err = disc.HeaderSectorsFor(len(kb), c.job.Keys.Format.HeaderSectors); err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %w", ErrJob, err)
	}
	return nil, kb, sectors, nil
}

// readHeader reads the header sector at start and the key block that
// follows it, and parses both; Open authenticates them.
func readHeader(ctx context.Context, dev device, p Phase, start uint32) (*disc.Header, error) {
	first := make([]byte, disc.SectorSize)
	if err := dev.read(ctx, start, first); err != nil {
		return nil, lbaError(p, start, err)
	}
	h, err := disc.Parse(first)
	if err != nil {
		return nil, err
	}
	if h.StartLBA != start {
		return nil, fmt.Errorf("%w: header at LBA %d says it starts at %d", disc.ErrHeader, start, h.StartLBA)
	}
	kb := make([]byte, int(h.KeyBlockSectors())*disc.SectorSize)
	for off := 0; off < len(kb); off += unitSize {
		lba := start + 1 + uint32(off/disc.SectorSize)
		if err := dev.read(ctx, lba, kb[off:min(off+unitSize, len(kb))]); err != nil {
			return nil, lbaError(p, lba, err)
		}
	}
	if err := h.SetKeyBlock(kb); err != nil {
		return nil, err
	}
	return h, nil
}

// resumeHeader takes the header region of a copy cut off while writing
// from the disc: its key block was drawn at random, so it can't be made
// again, and the disc holds it. The write must have passed the key block
// (the zeros after it in the region are written again), and the header
// must open under the job's disc key and name the job. Otherwise the disc
// is spoiled: it holds something, and not a copy this job can finish.
func (c *copier) resumeHeader(ctx context.Context, nwa uint32) (*disc.Header, error) {
	spoiled := func(err error) error {
		return &Error{Phase: PhaseCheck, LBA: 0, HasLBA: true, Spoiled: true, Err: fmt.Errorf("%w: the copy cut off on this disc can't be continued: %w", ErrVerify, err)}
	}
	h, err := readHeader(ctx, c.dev, PhaseCheck, 0)
	if err != nil {
		return nil, spoiled(err)
	}
	if end := 1 + h.KeyBlockSectors(); nwa < end {
		return nil, spoiled(fmt.Errorf("the write stopped inside the disc key block (next writable address %d, the block ends at %d)", nwa, end))
	}
	if err := c.checkHeader(h); err != nil {
		return nil, spoiled(err)
	}
	return h, nil
}

// checkHeader authenticates a header read back and checks it is this
// job's: layout, copy, media, package, codeword, and (when the copier
// built one) key block.
func (c *copier) checkHeader(h *disc.Header) error {
	if err := h.Open(c.job.Keys.DiscKey); err != nil {
		return err
	}
	m := c.job.Package.Manifest()
	want, err := disc.NewLayout(0, h.HeaderSectors, m.ImageSize)
	min := c.job.Keys.Format.HeaderSectors
	switch {
	case err != nil:
		return err
	case h.Layout != want || h.HeaderSectors < min:
		return fmt.Errorf("the header lays out %+v, the package needs %+v with at least %d header sectors", h.Layout, want, min)
	case h.CopyID != c.job.CopyID || !bytes.Equal(h.MediaID, c.job.MediaID):
		return fmt.Errorf("the header names copy %q on media %x, not this job's", h.CopyID, h.MediaID)
	case h.PackageRoot != m.Root || h.ImageSize != m.ImageSize || h.TitleID != m.TitleID:
		return fmt.Errorf("the header names title %q (%d bytes), not this job's package", h.TitleID, h.ImageSize)
	case !bytes.Equal(h.Codeword, c.job.Keys.Codeword):
		return fmt.Errorf("the header's codeword is not this copy's")
	case c.header != nil && !bytes.Equal(h.KeyBlock, c.header[disc.SectorSize:disc.SectorSize+len(h.KeyBlock)]):
		return fmt.Errorf("the header's key block is not the one written")
	}
	return nil
}

package burn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"copystation/burn/disc"
	"copystation/burn/sector"
)

// maxImageSectors bounds the image a player accepts (128 GiB, a BDXL disc),
// so a forged header can't make it allocate a huge integrity table.
const maxImageSectors = 1 << 26

// ReadOptions tune ReadDisc.
type ReadOptions struct {
	// StartLBA is where the copy's header is (0 on a disc holding one copy).
	StartLBA uint32
	// Progress and Clock as in Job.
	Progress func(Progress) error
	Clock    Clock
}

// ReadDisc plays a copy: it checks the header and its media ID binding,
// unwraps the disc key with the player root key, and writes the decrypted
// image to w, every cluster checked against its tag before it is
// decrypted. It returns the authenticated header, codeword included.
func ReadDisc(ctx context.Context, d Reader, rootKey []byte, w io.Writer, opts ReadOptions) (*disc.Header, error) {
	return readDisc(ctx, driveDevice{r: d}, rootKey, w, opts)
}

func readDisc(ctx context.Context, dev device, rootKey []byte, w io.Writer, opts ReadOptions) (*disc.Header, error) {
	m := meter{clock: opts.Clock, fn: opts.Progress}
	fail := func(err error) (*disc.Header, error) {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{Phase: PhaseRead, Err: err}
	}
	h, sec, err := openDisc(ctx, dev, rootKey, opts.StartLBA)
	if err != nil {
		return fail(err)
	}
	if err := m.begin(PhaseRead, h.ImageSize); err != nil {
		return fail(err)
	}
	table := make([]byte, int(h.TableSectors)*disc.SectorSize)
	for off := 0; off < len(table); off += disc.ClusterSize {
		lba := h.TableLBA() + uint32(off/disc.SectorSize)
		if err := dev.read(ctx, lba, table[off:off+disc.ClusterSize]); err != nil {
			return fail(lbaError(PhaseRead, lba, err))
		}
	}
	if err := playImage(ctx, dev, h, sec, table, w, &m); err != nil {
		return fail(err)
	}
	return h, nil
}

// openDisc reads and authenticates the header.
func openDisc(ctx context.Context, dev device, rootKey []byte, start uint32) (*disc.Header, *sector.Cipher, error) {
	md, err := dev.media(ctx)
	if err != nil {
		return nil, nil, err
	}
	first := make([]byte, disc.SectorSize)
	if err := dev.read(ctx, start, first); err != nil {
		return nil, nil, lbaError(PhaseRead, start, err)
	}
	h, err := disc.Parse(first)
	if err != nil {
		return nil, nil, err
	}
	if h.StartLBA != start || h.ImageSectors > maxImageSectors {
		return nil, nil, fmt.Errorf("%w: header at LBA %d says it starts at %d with %d image sectors", disc.ErrHeader, start, h.StartLBA, h.ImageSectors)
	}
	if !bytes.Equal(h.MediaID, md.MediaID) {
		return nil, nil, fmt.Errorf("%w: the disc was made for media ID %x, this disc is %x", ErrClone, h.MediaID, md.MediaID)
	}
	key, err := disc.UnwrapKeyBlock(rootKey, md.MediaID, h.KeyBlock)
	if err != nil {
		return nil, nil, err
	}
	defer clear(key)
	if err := h.Open(key); err != nil {
		return nil, nil, err
	}
	sec, err := sector.New(key)
	if err != nil {
		return nil, nil, err
	}
	return h, sec, nil
}

// playImage reads clusters in one goroutine; this one checks, decrypts and
// writes them out.
func playImage(ctx context.Context, dev device, h *disc.Header, sec *sector.Cipher, table []byte, w io.Writer, m *meter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &group{cancel: cancel}
	pool := make(chan []byte, ringSize)
	for range ringSize {
		pool <- make([]byte, disc.ClusterSize)
	}
	read := make(chan unit, ringSize/2)
	g.spawn(func() error {
		defer close(read)
		for i := range h.Clusters() {
			var buf []byte
			select {
			case buf = <-pool:
			case <-ctx.Done():
				return ctx.Err()
			}
			lba := h.ImageLBA() + uint32(i)*disc.ClusterSectors
			if err := dev.read(ctx, lba, buf); err != nil {
				return lbaError(PhaseRead, lba, err)
			}
			select {
			case read <- unit{i, buf}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	var done int64
	g.spawn(func() error {
		for u := range read {
			var tag [sector.TagSize]byte
			copy(tag[:], table[u.idx*sector.TagSize:])
			lba := h.ImageLBA() + uint32(u.idx)*disc.ClusterSectors
			if err := sec.Check(u.idx, u.buf, tag); err != nil {
				return &Error{Phase: PhaseRead, LBA: lba, HasLBA: true, Err: fmt.Errorf("%w: sectors %d to %d: %w", ErrIntegrity, lba, lba+disc.ClusterSectors-1, err)}
			}
			sec.XOR(u.buf, u.buf, u.idx*disc.ClusterSectors)
			n := min(int64(len(u.buf)), h.ImageSize-done)
			if _, err := w.Write(u.buf[:n]); err != nil {
				return err
			}
			pool <- u.buf
			done += n
			if err := m.update(done); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.wait(); err != nil {
		return err
	}
	return ctx.Err()
}

package burn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"copystation/burn/disc"
	"copystation/burn/sector"
	"copystation/custody/playertree"
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
// opens the disc key block with the player's device keys, and writes the decrypted
// image to w, every cluster checked against its tag before it is
// decrypted. It returns the authenticated header, codeword included.
func ReadDisc(ctx context.Context, d Reader, player *playertree.DeviceKeys, w io.Writer, opts ReadOptions) (*disc.Header, error) {
	return readDisc(ctx, driveDevice{r: d}, player, w, opts)
}

func readDisc(ctx context.Context, dev device, player *playertree.DeviceKeys, w io.Writer, opts ReadOptions) (*disc.Header, error) {
	m := meter{clock: opts.Clock, fn: opts.Progress}
	fail := func(err error) (*disc.Header, error) {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{Phase: PhaseRead, Err: err}
	}
	h, sec, err := openDisc(ctx, dev, player, opts.StartLBA)
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

// openDisc reads the header and the key block, opens the block with the
// player's device keys and authenticates the header with the disc key.
func openDisc(ctx context.Context, dev device, player *playertree.DeviceKeys, start uint32) (*disc.Header, *sector.Cipher, error) {
	md, err := dev.media(ctx)
	if err != nil {
		return nil, nil, err
	}
	h, err := readHeader(ctx, dev, PhaseRead, start)
	if err != nil {
		return nil, nil, err
	}
	if h.ImageSectors > maxImageSectors {
		return nil, nil, fmt.Errorf("%w: header at LBA %d claims %d image sectors", disc.ErrHeader, start, h.ImageSectors)
	}
	if !bytes.Equal(h.MediaID, md.MediaID) {
		return nil, nil, fmt.Errorf("%w: the disc was made for media ID %x, this disc is %x", ErrClone, h.MediaID, md.MediaID)
	}
	key, err := playertree.Open(player, h.KeyBlock, md.MediaID)
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

// playerBufs units in flight: one read, one checked, two waiting.
const playerBufs = 4

// playImage reads the image a unit at a time in one goroutine; this one
// checks each cluster's tag, then decrypts it and writes it out, so nothing
// is released from a cluster that fails.
func playImage(ctx context.Context, dev device, h *disc.Header, sec *sector.Cipher, table []byte, w io.Writer, m *meter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &group{cancel: cancel}
	pool := newPool(playerBufs, unitSize)
	read := make(chan unit, playerBufs)
	g.spawn(func() error {
		defer close(read)
		total := h.Clusters()
		for i := uint64(0); i < total; i += unitClusters {
			buf, ok := take(ctx, pool)
			if !ok {
				return ctx.Err()
			}
			u := unit{i, buf[:min(unitClusters, total-i)*disc.ClusterSize]}
			lba := h.ImageLBA() + uint32(i)*disc.ClusterSectors
			if err := dev.read(ctx, lba, u.buf); err != nil {
				return lbaError(PhaseRead, lba, err)
			}
			if err := give(ctx, read, u); err != nil {
				return err
			}
		}
		return nil
	})
	var done int64
	g.spawn(func() error {
		for u := range read {
			// Check every cluster, then decrypt and release those before
			// the first that fails, in one CTR call.
			good := u.clusters()
			var bad error
			for k := range good {
				i := u.idx + uint64(k)
				var tag [sector.TagSize]byte
				copy(tag[:], table[i*sector.TagSize:])
				if err := sec.Check(i, u.buf[k*disc.ClusterSize:(k+1)*disc.ClusterSize], tag); err != nil {
					lba := h.ImageLBA() + uint32(i)*disc.ClusterSectors
					good, bad = k, &Error{Phase: PhaseRead, LBA: lba, HasLBA: true, Err: fmt.Errorf("%w: sectors %d to %d: %w", ErrIntegrity, lba, lba+disc.ClusterSectors-1, err)}
					break
				}
			}
			pt := u.buf[:good*disc.ClusterSize]
			sec.XOR(pt, pt, u.idx*disc.ClusterSectors)
			n := min(int64(len(pt)), h.ImageSize-done)
			if _, err := w.Write(pt[:n]); err != nil {
				return err
			}
			done += n
			if bad != nil {
				return bad
			}
			pool <- u.buf[:cap(u.buf)]
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

package burn

import (
	"bytes"
	"context"
	"fmt"

	"copystation/burn/disc"
	"copystation/burn/sector"
)

// verify reads the whole copy back: header and table must equal what was
// written byte for byte, every image cluster must match the tag computed as
// it was written. Reading and checking overlap.
func (c *copier) verify(ctx context.Context) error {
	var done int64
	if err := c.compare(ctx, c.layout.StartLBA, c.header, &done); err != nil {
		return err
	}
	if err := c.verifyImage(ctx, &done); err != nil {
		return err
	}
	return c.compare(ctx, c.layout.TableLBA(), c.table, &done)
}

// compare reads want's sectors from lba and compares them.
func (c *copier) compare(ctx context.Context, lba uint32, want []byte, done *int64) error {
	buf := make([]byte, disc.ClusterSize)
	for off := 0; off < len(want); off += disc.ClusterSize {
		at := lba + uint32(off/disc.SectorSize)
		if err := c.dev.read(ctx, at, buf); err != nil {
			return lbaError(PhaseVerify, at, err)
		}
		for s := 0; s < disc.ClusterSectors; s++ {
			w := want[off+s*disc.SectorSize : off+(s+1)*disc.SectorSize]
			if !bytes.Equal(buf[s*disc.SectorSize:(s+1)*disc.SectorSize], w) {
				return &Error{Phase: PhaseVerify, LBA: at + uint32(s), HasLBA: true, Err: fmt.Errorf("%w: sector differs from what was written", ErrVerify)}
			}
		}
		*done += disc.ClusterSize
		if err := c.m.update(*done); err != nil {
			return err
		}
	}
	return nil
}

// verifyImage reads the image clusters in one goroutine and checks their
// tags in another.
func (c *copier) verifyImage(ctx context.Context, done *int64) error {
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
		for i := range c.layout.Clusters() {
			var buf []byte
			select {
			case buf = <-pool:
			case <-ctx.Done():
				return ctx.Err()
			}
			lba := c.layout.ImageLBA() + uint32(i)*disc.ClusterSectors
			if err := c.dev.read(ctx, lba, buf); err != nil {
				return lbaError(PhaseVerify, lba, err)
			}
			select {
			case read <- unit{i, buf}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.spawn(func() error {
		for u := range read {
			var tag [sector.TagSize]byte
			copy(tag[:], c.table[u.idx*disc.TagSize:])
			if err := c.sec.Check(u.idx, u.buf, tag); err != nil {
				lba := c.layout.ImageLBA() + uint32(u.idx)*disc.ClusterSectors
				return &Error{Phase: PhaseVerify, LBA: lba, HasLBA: true,
					Err: fmt.Errorf("%w: the cluster of sectors %d to %d reads back different from what was written", ErrVerify, lba, lba+disc.ClusterSectors-1)}
			}
			pool <- u.buf
			*done += disc.ClusterSize
			if err := c.m.update(*done); err != nil {
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

package burn

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"copystation/burn/disc"
	"copystation/burn/sector"
)

// verify reads the whole copy back: header and table must equal what was
// written byte for byte, every image cluster must match the tag computed as
// it was written (one GMAC per cluster, the check a player makes; nothing
// is decrypted). Reading and checking overlap.
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
	buf := make([]byte, min(len(want), unitSize))
	for off := 0; off < len(want); off += len(buf) {
		at := lba + uint32(off/disc.SectorSize)
		got := buf[:min(len(buf), len(want)-off)]
		if err := c.dev.read(ctx, at, got); err != nil {
			return lbaError(PhaseVerify, at, err)
		}
		for s := 0; s < len(got); s += disc.SectorSize {
			if !bytes.Equal(got[s:s+disc.SectorSize], want[off+s:off+s+disc.SectorSize]) {
				return &Error{Phase: PhaseVerify, LBA: at + uint32(s/disc.SectorSize), HasLBA: true, Err: fmt.Errorf("%w: sector differs from what was written", ErrVerify)}
			}
		}
		*done += int64(len(got))
		if err := c.m.update(*done); err != nil {
			return err
		}
	}
	return nil
}

// verifyImage reads the image a unit at a time in one goroutine and checks
// the clusters' tags in the pipe's workers. When a cluster fails, the reader stops but
// every unit already read is still checked, so the failure reported is
// the first in disc order whatever the checkers' timing.
func (c *copier) verifyImage(ctx context.Context, done *int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &group{cancel: cancel}
	pool := c.bufPool()
	read := make(chan unit, c.pipe.bufs)
	var (
		stop  atomic.Bool
		mu    sync.Mutex // guards first, *done and the meter
		first = c.layout.Clusters()
	)
	g.spawn(func() error {
		defer close(read)
		total := c.layout.Clusters()
		for i := uint64(0); i < total && !stop.Load(); i += unitClusters {
			buf, ok := take(ctx, pool)
			if !ok {
				return ctx.Err()
			}
			u := unit{i, buf[:min(unitClusters, total-i)*disc.ClusterSize]}
			lba := c.layout.ImageLBA() + uint32(i)*disc.ClusterSectors
			if err := c.dev.read(ctx, lba, u.buf); err != nil {
				return lbaError(PhaseVerify, lba, err)
			}
			if err := give(ctx, read, u); err != nil {
				return err
			}
		}
		return nil
	})
	g.spawnN(c.pipe.workers, func() error {
		for u := range read {
			if err := cores.acquire(ctx, false); err != nil {
				return err
			}
			bad := c.checkUnit(u)
			cores.release()
			mu.Lock()
			if bad < first {
				first = bad
				stop.Store(true)
			}
			*done += int64(len(u.buf))
			err := c.m.update(*done)
			mu.Unlock()
			pool <- u.buf[:cap(u.buf)]
			if err != nil {
				return err
			}
		}
		return nil
	}, func() {})
	err := g.wait()
	// A failed cluster comes before any unit the reader failed to read
	// (it reads in order), so it is the error to report.
	if first < c.layout.Clusters() {
		lba := c.layout.ImageLBA() + uint32(first)*disc.ClusterSectors
		return &Error{Phase: PhaseVerify, LBA: lba, HasLBA: true,
			Err: fmt.Errorf("%w: the cluster of sectors %d to %d reads back different from what was written", ErrVerify, lba, lba+disc.ClusterSectors-1)}
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}

// checkUnit returns the first cluster of u whose tag does not match, or
// the layout's cluster count if all do.
func (c *copier) checkUnit(u unit) uint64 {
	for k := range u.clusters() {
		i := u.idx + uint64(k)
		var tag [sector.TagSize]byte
		copy(tag[:], c.table[i*disc.TagSize:])
		if c.sec.Check(i, u.buf[k*disc.ClusterSize:(k+1)*disc.ClusterSize], tag) != nil {
			return i
		}
	}
	return c.layout.Clusters()
}

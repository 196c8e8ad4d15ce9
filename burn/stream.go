package burn

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"copystation/burn/disc"
	"copystation/drive"
)

// Sizes of the pipeline's buffers. A unit is what goes to the drive in one
// call: 16 ECC clusters (1 MiB), which a drive that takes large transfers
// gets in one command, and any other in 64 KiB commands. The pipeline's
// memory is bounded by its worker count (see pipe): 2w+2 units and w+2
// package chunks of 1 MiB, so at most 26 MiB at maxWorkers.
const (
	unitClusters = 16
	unitSize     = unitClusters * disc.ClusterSize
	maxWorkers   = 8
)

// pipe is the pipeline's shape for one copy: the number of goroutines
// that open chunks, that seal units and that check read-back tags, and
// the buffers in flight. Workers follow the cores the process may use
// (GOMAXPROCS), so a box given more cores copies faster and one given one
// core runs no idle goroutines; the cap bounds memory on big machines.
type pipe struct {
	workers   int
	unitBufs  int // every worker busy, one unit waiting at each end
	chunkBufs int // every opener busy, plus the one the assembler waits on
}

func newPipe() pipe {
	w := max(1, min(runtime.GOMAXPROCS(0), maxWorkers))
	return pipe{workers: w, unitBufs: 2*w + 2, chunkBufs: w + 2}
}

// unit is a run of up to unitClusters clusters on its way to or from the
// drive, starting at image cluster idx.
type unit struct {
	idx uint64
	buf []byte
}

func (u unit) clusters() int { return len(u.buf) / disc.ClusterSize }

// group runs goroutines and keeps the first error, cancelling the rest.
type group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelFunc
}

func (g *group) spawn(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

// spawnN runs n copies of f and calls last once all have returned, on
// success or not (to close their output channel).
func (g *group) spawnN(n int, f func() error, last func()) {
	var left atomic.Int32
	left.Store(int32(n))
	for range n {
		g.spawn(func() error {
			defer func() {
				if left.Add(-1) == 0 {
					last()
				}
			}()
			return f()
		})
	}
}

func (g *group) wait() error { g.wg.Wait(); return g.err }

// unitPool is the copy's pool of unit buffers, made once: the write gives
// every buffer back when it succeeds, and the read-back takes them again,
// so the two phases share one set instead of leaving one to the collector.
func (c *copier) unitPool() chan []byte {
	if c.units == nil {
		c.units = newPool(c.pipe.unitBufs, unitSize)
	}
	return c.units
}

// newPool returns a channel holding n buffers of size bytes.
func newPool(n, size int) chan []byte {
	pool := make(chan []byte, n)
	for range n {
		pool <- make([]byte, size)
	}
	return pool
}

// take receives from ch unless ctx ends first.
func take[T any](ctx context.Context, ch <-chan T) (T, bool) {
	select {
	case v, ok := <-ch:
		return v, ok
	case <-ctx.Done():
		var zero T
		return zero, false
	}
}

// give sends v on ch unless ctx ends first.
func give[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write writes the header region, the image and the integrity table.
func (c *copier) write(ctx context.Context) error {
	c.touched = true
	done, err := c.writeRegion(ctx, c.layout.StartLBA, c.header, 0)
	if err != nil {
		return err
	}
	if err := c.writeImage(ctx, done); err != nil {
		return err
	}
	done += int64(c.layout.ImageSectors) * disc.SectorSize
	_, err = c.writeRegion(ctx, c.layout.TableLBA(), c.table, done)
	return err
}

// writeRegion writes b (whole clusters) at lba, a unit at a time.
func (c *copier) writeRegion(ctx context.Context, lba uint32, b []byte, done int64) (int64, error) {
	for off := 0; off < len(b); off += unitSize {
		p := b[off:min(len(b), off+unitSize)]
		at := lba + uint32(off/disc.SectorSize)
		if err := c.dev.write(ctx, at, p); err != nil {
			return done, lbaError(PhaseWrite, at, err)
		}
		done += int64(len(p))
		if err := c.m.update(done); err != nil {
			return done, err
		}
	}
	return done, nil
}

// writeImage streams the package to the drive through four stages joined
// by bounded channels, so that every core stays busy:
//
//	openers (w): read and authenticate chunks, in any order
//	assembler:   in chunk order, keep the variants the codeword names and
//	             fill units in disc order
//	sealers (w): encrypt units and tag their clusters, in any order
//	writer:      write units to the drive in disc order
func (c *copier) writeImage(ctx context.Context, done int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &group{cancel: cancel}
	units := c.unitPool()
	opened := make(chan openedChunk, c.pipe.chunkBufs)
	plain := make(chan unit, c.pipe.unitBufs)
	sealed := make(chan unit, c.pipe.unitBufs)
	chunks := newPool(c.pipe.chunkBufs, c.job.Package.ChunkBufSize())
	g.spawnN(c.pipe.workers, c.opener(ctx, chunks, opened), func() { close(opened) })
	g.spawn(func() error { defer close(plain); return c.assemble(ctx, opened, chunks, units, plain) })
	g.spawnN(c.pipe.workers, func() error { return c.seal(ctx, plain, sealed) }, func() { close(sealed) })
	g.spawn(func() error { return c.writeUnits(ctx, sealed, units, done) })
	if err := g.wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// openedChunk is an authenticated, decrypted package chunk.
type openedChunk struct {
	i     uint64
	buf   []byte // from the chunk pool
	plain []byte // within buf
	skip  int64  // for a chunk left unread: its length
}

// opener returns a worker that takes chunks in index order and opens them.
// It takes a buffer before an index, so the chunk the assembler waits for
// always has a buffer.
func (c *copier) opener(ctx context.Context, pool chan []byte, out chan<- openedChunk) func() error {
	p := c.job.Package
	var next atomic.Uint64
	return func() error {
		for {
			buf, ok := take(ctx, pool)
			if !ok {
				return ctx.Err()
			}
			i := next.Add(1) - 1
			if i >= p.Manifest().ChunkCount {
				return nil
			}
			if !p.HasKey(i) { // a variant this copy does not carry
				if err := give(ctx, out, openedChunk{i: i, buf: buf, skip: p.ChunkLen(i)}); err != nil {
					return err
				}
				continue
			}
			plain, _, err := p.ReadChunk(i, buf)
			if err != nil {
				// The file changed after the first pass or, in a single
				// pass, after it was installed: none of this chunk is sent.
				return &Error{Phase: PhaseWrite, Err: fmt.Errorf("%w: %w (the package file changed after it was authenticated: reinstall the title)", ErrPackage, err)}
			}
			if err := give(ctx, out, openedChunk{i: i, buf: buf, plain: plain}); err != nil {
				return err
			}
		}
	}
}

// assemble puts the opened chunks back in order, drops the variants the
// codeword does not name, and fills units in disc order. The image's last
// cluster is padded with zeros.
func (c *copier) assemble(ctx context.Context, in <-chan openedChunk, chunks, pool chan []byte, out chan<- unit) error {
	m := c.job.Package.Manifest()
	sel := newSelector(m, c.job.Keys.Codeword)
	total := c.layout.Clusters()
	var (
		cur     unit
		fill    int
		idx     uint64 // next unit's first cluster
		waiting = map[uint64]openedChunk{}
	)
	next := func() error {
		n := min(unitClusters, total-idx)
		buf, ok := take(ctx, pool)
		if !ok {
			return ctx.Err()
		}
		cur, fill = unit{idx, buf[:n*disc.ClusterSize]}, 0
		idx += n
		return nil
	}
	emit := func(b []byte) error {
		for len(b) > 0 {
			if cur.buf == nil {
				return fmt.Errorf("burn: package gives more than the layout's %d clusters", total)
			}
			n := copy(cur.buf[fill:], b)
			fill, b = fill+n, b[n:]
			if fill == len(cur.buf) {
				if err := give(ctx, out, cur); err != nil {
					return err
				}
				cur = unit{}
				if idx < total {
					if err := next(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := next(); err != nil {
		return err
	}
	for want := uint64(0); want < m.ChunkCount; {
		ch, ok := waiting[want]
		if !ok {
			if ch, ok = take(ctx, in); !ok {
				return ctx.Err()
			}
			waiting[ch.i] = ch
			continue
		}
		delete(waiting, want)
		if ch.skip > 0 {
			if err := sel.skip(ch.skip); err != nil {
				return err
			}
		} else if err := sel.keep(ch.plain, emit); err != nil {
			return err
		}
		want++
		chunks <- ch.buf // never blocks: the pool has room for every buffer

	}
	if cur.buf != nil {
		if fill == 0 || len(cur.buf)-fill >= disc.ClusterSize {
			return fmt.Errorf("burn: package ends %d bytes short of the layout's %d clusters", len(cur.buf)-fill, total)
		}
		clear(cur.buf[fill:])
		return give(ctx, out, cur)
	}
	return nil
}

// seal encrypts each unit's sectors (one CTR stream: consecutive sectors
// have consecutive counters) and computes its clusters' tags into the
// integrity table; units are independent, so the sealers run at once.
func (c *copier) seal(ctx context.Context, in <-chan unit, out chan<- unit) error {
	for u := range in {
		if err := c.sec.XOR(u.buf, u.buf, u.idx*disc.ClusterSectors); err != nil {
			return err
		}
		for k := range u.clusters() {
			i := u.idx + uint64(k)
			tag := c.sec.Tag(i, u.buf[k*disc.ClusterSize:(k+1)*disc.ClusterSize])
			copy(c.table[i*disc.TagSize:], tag[:])
		}
		if err := give(ctx, out, u); err != nil {
			return err
		}
	}
	return nil
}

// writeUnits puts the sealed units back in disc order and writes them.
func (c *copier) writeUnits(ctx context.Context, in <-chan unit, pool chan<- []byte, done int64) error {
	waiting := map[uint64]unit{}
	for next := uint64(0); next < c.layout.Clusters(); {
		u, ok := waiting[next]
		if !ok {
			if u, ok = take(ctx, in); !ok {
				if err := ctx.Err(); err != nil {
					return err
				}
				return fmt.Errorf("burn: the sealers stopped before cluster %d", next)
			}
			waiting[u.idx] = u
			continue
		}
		delete(waiting, next)
		lba := c.layout.ImageLBA() + uint32(u.idx)*disc.ClusterSectors
		if err := c.dev.write(ctx, lba, u.buf); err != nil {
			return lbaError(PhaseWrite, lba, err)
		}
		next += uint64(u.clusters())
		pool <- u.buf[:cap(u.buf)]
		done += int64(len(u.buf))
		if err := c.m.update(done); err != nil {
			return err
		}
	}
	return nil
}

// lbaError wraps a drive error with the phase and the sector at fault: the
// one the drive's sense names, else the first of the unit.
func lbaError(p Phase, lba uint32, err error) *Error {
	var se *drive.SenseError
	if errors.As(err, &se) && se.LBAValid {
		lba = se.LBA
	}
	return &Error{Phase: p, LBA: lba, HasLBA: true, Err: err}
}

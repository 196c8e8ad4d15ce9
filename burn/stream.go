package burn

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"copystation/burn/disc"
	"copystation/drive"
)

// Sizes of the pipeline's buffers. A unit is what the read-back reads in
// one call: 16 ECC clusters (1 MiB), which a drive that takes large
// transfers gets in one command, and any other in 64 KiB commands. The
// write sends each package chunk's whole clusters in one call (1 MiB with
// the default chunk size). The pipeline's memory is bounded by its worker
// count (see pipe): 2w+2 buffers of a chunk or a unit, whichever is
// larger, so at most 18 MiB at maxWorkers with 1 MiB chunks.
const (
	unitClusters = 16
	unitSize     = unitClusters * disc.ClusterSize
	maxWorkers   = 8
)

// pipe is the pipeline's shape for one copy: the number of goroutines
// that open and seal chunks and that check read-back tags, and the
// buffers in flight. Workers follow the cores the process may use
// (GOMAXPROCS), so a box given more cores copies faster and one given one
// core runs no idle goroutines; the cap bounds memory on big machines.
type pipe struct {
	workers int
	bufs    int // every worker busy, one buffer at the drive, w+1 queued for it
}

func newPipe() pipe {
	w := max(1, min(runtime.GOMAXPROCS(0), maxWorkers))
	return pipe{workers: w, bufs: 2*w + 2}
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

// bufPool is the copy's pool of buffers, made once: each holds a package
// chunk with its tag on the way to the drive, or a unit read back. The
// write gives every buffer back when it succeeds, and the read-back takes
// them again, so the two phases share one set instead of leaving one to
// the collector.
func (c *copier) bufPool() chan []byte {
	if c.bufs == nil {
		c.bufs = newPool(c.pipe.bufs, max(unitSize, c.job.Package.ChunkBufSize()))
	}
	return c.bufs
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
	done := int64(len(c.header))
	if err := c.writeImage(ctx, c.header, done); err != nil {
		return err
	}
	done += int64(c.layout.ImageSectors) * disc.SectorSize
	_, err := c.writeRegion(ctx, c.layout.TableLBA(), c.table, done)
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

// lbaError wraps a drive error with the phase and the sector at fault: the
// one the drive's sense names, else the first of the unit.
func lbaError(p Phase, lba uint32, err error) *Error {
	var se *drive.SenseError
	if errors.As(err, &se) && se.LBAValid {
		lba = se.LBA
	}
	return &Error{Phase: p, LBA: lba, HasLBA: true, Err: err}
}

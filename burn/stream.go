package burn

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/drive"
)

// ringSize is the number of 64 KiB cluster buffers in flight between the
// stages: enough to keep the three goroutines busy, small enough that the
// pipeline's memory is a constant (with one package chunk buffer).
const ringSize = 8

// unit is one cluster on its way to the drive.
type unit struct {
	idx uint64
	buf []byte
}

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

func (g *group) wait() error { g.wg.Wait(); return g.err }

// write writes the header region, the image and the integrity table.
func (c *copier) write(ctx context.Context) error {
	var done int64
	for off := 0; off < len(c.header); off += disc.ClusterSize {
		lba := c.layout.StartLBA + uint32(off/disc.SectorSize)
		c.touched = true
		if err := c.dev.write(ctx, lba, c.header[off:off+disc.ClusterSize]); err != nil {
			return lbaError(PhaseWrite, lba, err)
		}
		done += disc.ClusterSize
	}
	if err := c.writeImage(ctx, done); err != nil {
		return err
	}
	done += int64(c.layout.ImageSectors) * disc.SectorSize
	for off := 0; off < len(c.table); off += disc.ClusterSize {
		lba := c.layout.TableLBA() + uint32(off/disc.SectorSize)
		if err := c.dev.write(ctx, lba, c.table[off:off+disc.ClusterSize]); err != nil {
			return lbaError(PhaseWrite, lba, err)
		}
		done += disc.ClusterSize
		if err := c.m.update(done); err != nil {
			return err
		}
	}
	return nil
}

// writeImage streams the package to the drive through three stages.
func (c *copier) writeImage(ctx context.Context, done int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &group{cancel: cancel}
	pool := make(chan []byte, ringSize)
	for range ringSize {
		pool <- make([]byte, disc.ClusterSize)
	}
	plain := make(chan unit, ringSize/2)
	sealed := make(chan unit, ringSize/2)
	g.spawn(func() error { defer close(plain); return c.source(ctx, pool, plain) })
	g.spawn(func() error {
		defer close(sealed)
		for u := range plain {
			c.sec.XOR(u.buf, u.buf, u.idx*disc.ClusterSectors)
			tag := c.sec.Tag(u.idx, u.buf)
			copy(c.table[u.idx*disc.TagSize:], tag[:])
			select {
			case sealed <- u:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.spawn(func() error {
		for u := range sealed {
			lba := c.layout.ImageLBA() + uint32(u.idx)*disc.ClusterSectors
			if err := c.dev.write(ctx, lba, u.buf); err != nil {
				return lbaError(PhaseWrite, lba, err)
			}
			pool <- u.buf
			done += disc.ClusterSize
			if err := c.m.update(done); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	err := g.wait()
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// source reads and authenticates chunks, keeps the variants the codeword
// names, and fills clusters in disc order.
func (c *copier) source(ctx context.Context, pool chan []byte, out chan<- unit) error {
	p := c.job.Package
	m := p.Manifest()
	sel := newSelector(m, c.job.Keys.Codeword)
	chunk := make([]byte, p.ChunkBufSize())
	var (
		cur  []byte
		fill int
		idx  uint64
	)
	next := func() error {
		select {
		case cur = <-pool:
			fill = 0
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	send := func() error {
		clear(cur[fill:]) // the image's last cluster is padded with zeros
		select {
		case out <- unit{idx, cur}:
			idx++
			return next()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := next(); err != nil {
		return err
	}
	for i := range m.ChunkCount {
		b, _, err := p.ReadChunk(i, chunk)
		if err != nil {
			// The first pass passed: the file changed underneath us.
			return &Error{Phase: PhaseWrite, Err: fmt.Errorf("%w: %w", ErrPackage, err)}
		}
		err = sel.keep(b, func(b []byte) error {
			for len(b) > 0 {
				n := copy(cur[fill:], b)
				fill, b = fill+n, b[n:]
				if fill == len(cur) {
					if err := send(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if fill > 0 {
		if err := send(); err != nil {
			return err
		}
	}
	if idx != c.layout.Clusters() {
		return fmt.Errorf("burn: package gave %d clusters, layout has %d", idx, c.layout.Clusters())
	}
	return nil
}

// selector drops, from the package stream, the variant of each forensic
// segment that the codeword does not name.
type selector struct {
	drops []span // stream byte ranges to drop, in order
	pos   int64  // stream offset of the next byte
}

type span struct{ start, end int64 }

func newSelector(m *titlepkg.Manifest, codeword []byte) *selector {
	s := &selector{}
	var extra int64 // variant B bytes before this segment in the stream
	for i, sg := range m.Segments {
		a := int64(sg.Start)*titlepkg.SectorSize + extra
		n := int64(sg.Sectors) * titlepkg.SectorSize
		if codewordBit(codeword, i) {
			s.drops = append(s.drops, span{a, a + n}) // keep B, drop A
		} else {
			s.drops = append(s.drops, span{a + n, a + 2*n})
		}
		extra += n
	}
	return s
}

// keep passes the parts of b (the next stream bytes) that survive to emit.
func (s *selector) keep(b []byte, emit func([]byte) error) error {
	for len(b) > 0 {
		for len(s.drops) > 0 && s.pos >= s.drops[0].end {
			s.drops = s.drops[1:]
		}
		n := int64(len(b))
		if len(s.drops) > 0 && s.pos >= s.drops[0].start {
			n = min(n, s.drops[0].end-s.pos)
		} else {
			if len(s.drops) > 0 {
				n = min(n, s.drops[0].start-s.pos)
			}
			if err := emit(b[:n]); err != nil {
				return err
			}
		}
		s.pos += n
		b = b[n:]
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

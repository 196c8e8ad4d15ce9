package burn

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"copystation/burn/disc"
	"copystation/burn/titlepkg"
)

// writeImage streams the package to the drive in two stages joined by a
// bounded channel, so that every core stays busy and each byte is touched
// by one core while it is in its cache:
//
//	sealers (w): read a chunk the copy keeps, authenticate and decrypt it
//	             in place, encrypt its whole clusters in place and tag
//	             them, in any order
//	writer:      in chunk order, write each chunk's whole clusters to the
//	             drive straight from its buffer; the pieces of clusters a
//	             chunk shares with its neighbours (a forensic segment need
//	             not start on a cluster) are joined, sealed and written
//	             here
//
// The only copies of the image's bytes are the kernel's into the chunk
// buffer (pread), those of the joined clusters, at most two per chunk
// and none when the segments fall on cluster boundaries, and the image's
// first clusters, copied once behind a short header region (below).
//
// The writer starts the drive (header first) only once the sealers have
// filled every buffer, or sealed the whole image: a drive starts writing
// as its buffer fills, and one started on a trickle runs dry at once. For
// the same reason the stream's first WRITE is a whole unit: a header
// region shorter than a unit (one cluster by default, under a millisecond
// of a 16x drive's writing) goes out with the image's first clusters,
// copied behind it in one unit buffer, so the writer being scheduled late
// once after its first command does not empty the drive's buffer.
func (c *copier) writeImage(ctx context.Context, header []byte, done int64) error {
	kept, err := planChunks(c.job.Package, c.job.Keys.Codeword)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &group{cancel: cancel}
	c.reached = 0
	pool := c.bufPool()
	sealed := make(chan sealedChunk, c.pipe.bufs)
	var next atomic.Uint64
	g.spawnN(c.pipe.workers, func() error { return c.sealChunks(ctx, kept, &next, pool, sealed) }, func() { close(sealed) })
	g.spawn(func() error { return c.writeChunks(ctx, kept, sealed, pool, header, done) })
	if err := g.wait(); err != nil {
		return c.firstBadChunk(kept, err)
	}
	return ctx.Err()
}

// firstBadChunk names the first chunk the package no longer holds when the
// copy stopped for a bad chunk. Sealers run ahead of the writer on several
// chunks at once and the first error to come ends the copy, so the chunk
// named may not be the first bad one (a file cut short fails every chunk
// from the cut): the chunks between the writer's position and the one
// named, at most the pipeline's buffers, are read again in order.
func (c *copier) firstBadChunk(kept []keptChunk, err error) error {
	var ce *titlepkg.ChunkError
	if !errors.As(err, &ce) {
		return err
	}
	p := c.job.Package
	buf := make([]byte, p.ChunkBufSize())
	for k := c.reached; k < len(kept) && kept[k].i < ce.Index; k++ {
		ct, e := p.FetchChunk(kept[k].i, buf)
		if e == nil {
			_, e = p.OpenChunk(kept[k].i, ct)
		}
		if e != nil {
			return c.chunkError(e)
		}
	}
	return err
}

// sealedChunk is a kept chunk opened in its buffer: plain[lo:hi] are whole
// image clusters, already encrypted and tagged; plain[:lo] and plain[hi:]
// are plaintext pieces of clusters shared with the chunks around it.
type sealedChunk struct {
	k      int    // index into the kept list
	buf    []byte // from the pool
	plain  []byte // within buf
	lo, hi int
}

// sealChunks is a sealer: it takes a buffer, then the next kept chunk, so
// the chunk the writer waits for always has a buffer.
func (c *copier) sealChunks(ctx context.Context, kept []keptChunk, next *atomic.Uint64, pool chan []byte, out chan<- sealedChunk) error {
	p := c.job.Package
	for {
		buf, ok := take(ctx, pool)
		if !ok {
			return ctx.Err()
		}
		k := next.Add(1) - 1
		if k >= uint64(len(kept)) {
			pool <- buf // never blocks: the pool has room for every buffer
			return nil
		}
		kc := kept[k]
		ct, err := p.FetchChunk(kc.i, buf)
		if err != nil {
			return c.chunkError(err)
		}
		if err := cores.acquire(ctx, true); err != nil {
			return err
		}
		plain, err := p.OpenChunk(kc.i, ct)
		if err != nil {
			cores.release()
			return c.chunkError(err)
		}
		sc := sealedChunk{k: int(k), buf: buf, plain: plain}
		sc.lo, sc.hi = wholeClusters(kc.off, len(plain))
		err = c.sealClusters(plain[sc.lo:sc.hi], uint64(kc.off+int64(sc.lo))/disc.ClusterSize)
		cores.release()
		if err != nil {
			return err
		}
		if err := give(ctx, out, sc); err != nil {
			return err
		}
	}
}

// sealGroup is how many clusters are encrypted in one CTR call before
// they are tagged: few enough (256 KiB) that the tags read them back from
// the core's cache, enough that setting up the CTR stream costs little.
const sealGroup = 4

// sealClusters encrypts whole clusters in place, the first being image
// cluster first, and puts their tags in the integrity table.
func (c *copier) sealClusters(b []byte, first uint64) error {
	for x := 0; x < len(b); x += sealGroup * disc.ClusterSize {
		g := b[x:min(len(b), x+sealGroup*disc.ClusterSize)]
		i := first + uint64(x/disc.ClusterSize)
		if err := c.sec.XOR(g, g, i*disc.ClusterSectors); err != nil {
			return err
		}
		for k := 0; k < len(g); k += disc.ClusterSize {
			tag := c.sec.Tag(i, g[k:k+disc.ClusterSize])
			copy(c.table[i*disc.TagSize:], tag[:])
			i++
		}
	}
	return nil
}

// chunkError is a chunk that failed to read or open during the write:
// the file changed after the first pass or, in a single pass, after it
// was installed. None of the chunk is sent.
func (c *copier) chunkError(err error) error {
	return &Error{Phase: PhaseWrite, Err: fmt.Errorf("%w: %w (the package file changed after it was authenticated: reinstall the title)", ErrPackage, err)}
}

// wholeClusters returns the range [lo, hi) of the n bytes at image offset
// off that are whole image clusters; lo == hi when there are none, and the
// bytes before lo and from hi on belong to clusters shared with the
// neighbouring chunks.
func wholeClusters(off int64, n int) (lo, hi int) {
	const cs = disc.ClusterSize
	lo = min(n, int((off+cs-1)/cs*cs-off))
	hi = max(lo, int((off+int64(n))/cs*cs-off))
	return lo, hi
}

// writeChunks puts the sealed chunks back in disc order and writes them,
// joining the pieces of shared clusters in a cluster buffer of its own.
// The image's last cluster is padded with zeros.
func (c *copier) writeChunks(ctx context.Context, kept []keptChunk, in <-chan sealedChunk, pool chan<- []byte, header []byte, done int64) error {
	j := joiner{c: c, buf: make([]byte, disc.ClusterSize)}
	waiting := map[int]sealedChunk{}
	for len(waiting) < min(len(kept), c.pipe.bufs) {
		sc, ok := take(ctx, in)
		if !ok {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("burn: the sealers stopped after %d of %d chunks", len(waiting), len(kept))
		}
		waiting[sc.k] = sc
	}
	if len(header) < unitSize {
		j.lead = append(make([]byte, 0, unitSize), header...)
	} else if _, err := c.writeRegion(ctx, c.layout.StartLBA, header, 0); err != nil {
		return err
	}
	for next := 0; next < len(kept); {
		sc, ok := waiting[next]
		if !ok {
			if sc, ok = take(ctx, in); !ok {
				if err := ctx.Err(); err != nil {
					return err
				}
				return fmt.Errorf("burn: the sealers stopped before chunk %d", kept[next].i)
			}
			waiting[sc.k] = sc
			continue
		}
		delete(waiting, next)
		if err := j.add(ctx, sc.plain[:sc.lo]); err != nil {
			return err
		}
		if sc.hi > sc.lo {
			if err := j.write(ctx, sc.plain[sc.lo:sc.hi]); err != nil {
				return err
			}
		}
		if err := j.add(ctx, sc.plain[sc.hi:]); err != nil {
			return err
		}
		pool <- sc.buf
		next++
		c.reached = next
		if err := c.m.update(done + j.written); err != nil {
			return err
		}
	}
	if j.fill > 0 {
		clear(j.buf[j.fill:])
		j.fill = len(j.buf)
		if err := j.flush(ctx); err != nil {
			return err
		}
	}
	if err := j.writeLead(ctx); err != nil {
		return err
	}
	if want := int64(c.layout.Clusters()) * disc.ClusterSize; j.written != want {
		return fmt.Errorf("burn: the package gives %d image bytes, the layout %d", j.written, want)
	}
	return c.m.update(done + j.written)
}

// joiner writes the image in disc order: whole clusters straight from a
// chunk's buffer, and the clusters shared by two or more chunks assembled
// in buf and sealed here.
type joiner struct {
	c       *copier
	buf     []byte // one cluster of plaintext being joined
	fill    int
	written int64  // image bytes sent to the drive, or held in lead
	lead    []byte // the header region and the image's first clusters, until they fill a unit
}

// add appends plaintext to the shared cluster, sealing and writing it once
// it is whole.
func (j *joiner) add(ctx context.Context, b []byte) error {
	for len(b) > 0 {
		n := copy(j.buf[j.fill:], b)
		j.fill, b = j.fill+n, b[n:]
		if j.fill == len(j.buf) {
			if err := j.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush seals the joined cluster and writes it.
func (j *joiner) flush(ctx context.Context) error {
	if err := j.c.sealClusters(j.buf, uint64(j.written/disc.ClusterSize)); err != nil {
		return err
	}
	j.fill = 0
	return j.write(ctx, j.buf)
}

// write sends sealed whole clusters, the next in disc order, to the drive.
// While the stream's first unit is being gathered (lead), they are copied
// behind the header region instead, and the unit goes out once full.
func (j *joiner) write(ctx context.Context, b []byte) error {
	if j.fill != 0 {
		return fmt.Errorf("burn: whole clusters at image byte %d while a shared cluster is half joined", j.written)
	}
	if j.lead != nil {
		n := copy(j.lead[len(j.lead):cap(j.lead)], b)
		j.lead, b = j.lead[:len(j.lead)+n], b[n:]
		j.written += int64(n)
		if len(j.lead) < cap(j.lead) {
			return nil
		}
		if err := j.writeLead(ctx); err != nil {
			return err
		}
		if len(b) == 0 {
			return nil
		}
	}
	lba := j.c.layout.ImageLBA() + uint32(j.written/disc.SectorSize)
	if err := j.c.dev.write(ctx, lba, b); err != nil {
		return lbaError(PhaseWrite, lba, err)
	}
	j.written += int64(len(b))
	return nil
}

// writeLead sends the gathered first unit (the header region and the
// image's first clusters) if it has not gone yet: when full, or at the end
// of an image too short to fill it.
func (j *joiner) writeLead(ctx context.Context) error {
	if j.lead == nil {
		return nil
	}
	lead := j.lead
	j.lead = nil
	if err := j.c.dev.write(ctx, j.c.layout.StartLBA, lead); err != nil {
		return lbaError(PhaseWrite, j.c.layout.StartLBA, err)
	}
	return nil
}

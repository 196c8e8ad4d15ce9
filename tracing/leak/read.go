package leak

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"copystation/burn/titlepkg"
	"copystation/tracing/digests"
	"copystation/tracing/tardos"
)

// ErrRead: the image could not be read (an I/O error, not a short or
// damaged image: those are erasures).
var ErrRead = errors.New("reading the leaked image failed")

// bufSize is the read buffer: large enough that a read costs little next
// to hashing it, small enough to stay in cache.
const bufSize = 1 << 20

// Span is a run of sectors to hash.
type Span struct {
	Start   uint64
	Sectors uint32
}

// Found is one span's outcome: its digest if the image holds all of it.
type Found struct {
	Digest  [sha256.Size]byte
	Present bool // false: the image ends before the span does
}

// Hash streams r once and returns the SHA-256 of every span's bytes
// (spans sorted and disjoint, as a trace record's entries are). Bytes
// between spans are skipped with Seek when r is an io.Seeker, else read
// and dropped. A span cut short by the end of the image is not Present.
func Hash(r io.Reader, spans []Span) ([]Found, error) {
	out := make([]Found, len(spans))
	h := &hasher{r: r, buf: make([]byte, bufSize), sha: sha256.New()}
	if s, ok := r.(io.Seeker); ok {
		h.seek = s
	}
	for i, sp := range spans {
		start := int64(sp.Start) * titlepkg.SectorSize
		if start < h.pos {
			return nil, fmt.Errorf("leak.Hash: span %d at sector %d overlaps the one before", i, sp.Start)
		}
		if err := h.skip(start - h.pos); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil // the image ends here: the rest is missing
			}
			return nil, fmt.Errorf("leak.Hash: %w: %w", ErrRead, err)
		}
		ok, err := h.hash(int64(sp.Sectors) * titlepkg.SectorSize)
		if err != nil {
			return nil, fmt.Errorf("leak.Hash: %w: %w", ErrRead, err)
		}
		if !ok {
			return out, nil
		}
		out[i].Present = true
		h.sha.Sum(out[i].Digest[:0])
	}
	return out, nil
}

type hasher struct {
	r    io.Reader
	seek io.Seeker
	buf  []byte
	sha  hash.Hash
	pos  int64 // bytes of the image consumed
}

// skip moves n bytes ahead. A seek past the end succeeds on a file, so the
// end is found by the next read instead.
func (h *hasher) skip(n int64) error {
	if n == 0 {
		return nil
	}
	if h.seek != nil {
		if _, err := h.seek.Seek(n, io.SeekCurrent); err != nil {
			return err
		}
		h.pos += n
		return nil
	}
	m, err := io.CopyBuffer(io.Discard, io.LimitReader(h.r, n), h.buf)
	h.pos += m
	if err == nil && m < n {
		err = io.EOF
	}
	return err
}

// hash feeds the next n bytes to a fresh SHA-256; false if the image ends
// first.
func (h *hasher) hash(n int64) (bool, error) {
	h.sha.Reset()
	for n > 0 {
		k, err := io.ReadFull(h.r, h.buf[:min(n, int64(len(h.buf)))])
		h.sha.Write(h.buf[:k])
		h.pos += int64(k)
		n -= int64(k)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return false, nil
		case err != nil:
			return false, err
		}
	}
	return true, nil
}

// Report counts a leak's decisions.
type Report struct {
	A, B, Erased int
	// Missing are the erased segments the image did not reach (cut short);
	// the other erasures matched neither variant (damaged or altered).
	Missing int
}

// Read decides A, B or erased for every segment of rec from the image r.
func Read(r io.Reader, rec *digests.Record) (tardos.Decisions, Report, error) {
	spans := make([]Span, len(rec.Entries))
	for i, e := range rec.Entries {
		spans[i] = Span{Start: e.Start, Sectors: e.Sectors}
	}
	found, err := Hash(r, spans)
	if err != nil {
		return nil, Report{}, fmt.Errorf("leak.Read: %w", err)
	}
	d := make(tardos.Decisions, len(spans))
	var rep Report
	for i, f := range found {
		switch {
		case !f.Present:
			rep.Missing++
			rep.Erased++
		case f.Digest == rec.Entries[i].A:
			d[i] = tardos.A
			rep.A++
		case f.Digest == rec.Entries[i].B:
			d[i] = tardos.B
			rep.B++
		default:
			rep.Erased++
		}
	}
	return d, rep, nil
}

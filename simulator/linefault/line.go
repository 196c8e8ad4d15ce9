// Package linefault makes a byte stream lossy: it drops and corrupts the
// frames written to it and the chunks read from it, deterministically from
// a seed, so a serial link's recovery can be tested and demonstrated.
package linefault

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
)

// Options say which writes and reads go wrong. A Write is one frame for a
// framing layer that writes each frame whole, as drive/serial does.
type Options struct {
	// Seed drives every random choice.
	Seed uint64
	// DropRate and CorruptRate are per-Write probabilities.
	DropRate, CorruptRate float64
	// Drop and Corrupt name Writes by index (0 is the first) that always
	// go wrong.
	Drop, Corrupt []int
	// ReadDropRate and ReadCorruptRate are per-Read probabilities.
	ReadDropRate, ReadCorruptRate float64
}

// Stats counts what the line did.
type Stats struct {
	Writes, DroppedWrites, CorruptedWrites int
	Reads, DroppedReads, CorruptedReads    int
}

// Line wraps an io.ReadWriter. It is safe for one reader and one writer at
// a time, as a serial port is.
type Line struct {
	rw   io.ReadWriter
	opts Options
	mu   sync.Mutex
	prng *rand.Rand
	st   Stats
}

// New wraps rw.
func New(rw io.ReadWriter, opts Options) *Line {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], opts.Seed)
	return &Line{rw: rw, opts: opts, prng: rand.New(rand.NewChaCha8(seed))}
}

// fate decides what happens to one chunk: drop it, or the index of a byte
// to corrupt (-1 for none).
func (l *Line) fate(n int, drop, corrupt bool, dropRate, corruptRate float64) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if drop || (dropRate > 0 && l.prng.Float64() < dropRate) {
		return true, -1
	}
	if n > 0 && (corrupt || (corruptRate > 0 && l.prng.Float64() < corruptRate)) {
		return false, l.prng.IntN(n)
	}
	return false, -1
}

// Write passes p on, or drops it (reporting success, as a line that loses
// bytes does), or passes a copy with one byte's bits inverted.
func (l *Line) Write(p []byte) (int, error) {
	l.mu.Lock()
	i := l.st.Writes
	l.st.Writes++
	l.mu.Unlock()
	drop, at := l.fate(len(p), slices.Contains(l.opts.Drop, i), slices.Contains(l.opts.Corrupt, i),
		l.opts.DropRate, l.opts.CorruptRate)
	switch {
	case drop:
		l.count(func(s *Stats) { s.DroppedWrites++ })
		return len(p), nil
	case at >= 0:
		l.count(func(s *Stats) { s.CorruptedWrites++ })
		q := slices.Clone(p)
		q[at] ^= 0xFF
		if _, err := l.rw.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return l.rw.Write(p)
}

// Read returns the next chunk that survives the line.
func (l *Line) Read(p []byte) (int, error) {
	for {
		n, err := l.rw.Read(p)
		l.count(func(s *Stats) { s.Reads++ })
		if n == 0 || err != nil {
			return n, err
		}
		drop, at := l.fate(n, false, false, l.opts.ReadDropRate, l.opts.ReadCorruptRate)
		switch {
		case drop:
			l.count(func(s *Stats) { s.DroppedReads++ })
			continue
		case at >= 0:
			l.count(func(s *Stats) { s.CorruptedReads++ })
			p[at] ^= 0xFF
		}
		return n, nil
	}
}

func (l *Line) count(f func(*Stats)) {
	l.mu.Lock()
	f(&l.st)
	l.mu.Unlock()
}

// Stats reports what the line has done so far.
func (l *Line) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// Close closes the wrapped stream if it is an io.Closer.
func (l *Line) Close() error {
	if c, ok := l.rw.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

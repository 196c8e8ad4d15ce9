package serial

import (
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"copystation/drive"
)

// lossyWriter damages whole frames (one Write call each) deterministically:
// drops, flips a bit, prefixes garbage, or repeats them.
type lossyWriter struct {
	w                            io.Writer
	mu                           sync.Mutex
	rng                          *rand.Rand
	drop, corrupt, junk, repeat  float64
	dropped, corrupted, repeated int
}

func (l *lossyWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	p := l.rng.Float64()
	var out []byte
	switch {
	case p < l.drop:
		l.dropped++
	case p < l.drop+l.corrupt:
		out = append([]byte(nil), b...)
		out[l.rng.IntN(len(out))] ^= 1 << l.rng.IntN(8)
		l.corrupted++
	case p < l.drop+l.corrupt+l.junk:
		out = append([]byte{Magic0, 0x13, Magic0, Magic1, Version, 0x82}, b...)
	case p < l.drop+l.corrupt+l.junk+l.repeat:
		out = append(append([]byte(nil), b...), b...)
		l.repeated++
	default:
		out = b
	}
	l.mu.Unlock()
	if len(out) == 0 {
		return len(b), nil
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// TestLinkLossy runs writes and reads over a line that drops, corrupts,
// pads and repeats frames in both directions: every command must complete
// with the right data, and the device must run each exactly once.
func TestLinkLossy(t *testing.T) {
	var toDev, toHost *lossyWriter
	l := startLink(t, Options{RetryInterval: 5 * time.Millisecond, InterByteTimeout: 5 * time.Millisecond, LinkAllowance: 30 * time.Second}, func(h, d *pipeEnd) {
		toDev = &lossyWriter{w: h.Writer, rng: rand.New(rand.NewPCG(1, 2)), drop: 0.1, corrupt: 0.1, junk: 0.05, repeat: 0.05}
		toHost = &lossyWriter{w: d.Writer, rng: rand.New(rand.NewPCG(3, 4)), drop: 0.1, corrupt: 0.1, junk: 0.05, repeat: 0.05}
		h.Writer, d.Writer = toDev, toHost
	})
	const n = 100
	for i := range uint32(n) {
		data := pattern(i, 2048)
		if _, err := l.host.Do(rw10(0x2A, i, 1), drive.DirOut, data, time.Second); err != nil {
			t.Fatalf("Do(WRITE lba %d) = %v", i, err)
		}
		got := make([]byte, 2048)
		if _, err := l.host.Do(rw10(0x28, i, 1), drive.DirIn, got, time.Second); err != nil || string(got) != string(data) {
			t.Fatalf("Do(READ lba %d) = %v, data equal %v", i, err, string(got) == string(data))
		}
	}
	if c := l.dev.calls.Load(); c != 2*n {
		t.Errorf("device ran %d commands, want %d (duplicates must be suppressed)", c, 2*n)
	}
	toDev.mu.Lock()
	defer toDev.mu.Unlock()
	if toDev.dropped == 0 || toDev.corrupted == 0 || toDev.repeated == 0 {
		t.Errorf("lossy line damaged nothing: %+v", toDev)
	}
}

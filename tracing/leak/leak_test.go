package leak

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/tracing/digests"
	"copystation/tracing/tardos"
)

const sector = titlepkg.SectorSize

// testParams need 30 segments: M = ⌈π²·ln(10/0.5)⌉.
var testParams = tardos.Params{N: 10, C: 1, Eps1: 0.5}

// title is a synthetic title: an image of `sectors` sectors with a segment
// of segSectors sectors every `every` sectors from sector 1, and B variants.
type title struct {
	image    []byte
	variants []titlepkg.Variant
}

func newTitle(t testing.TB, segs, segSectors, every int) *title {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	tt := &title{image: make([]byte, (1+segs*every)*sector)}
	for i := range tt.image {
		tt.image[i] = byte(rng.Uint32())
	}
	for s := range segs {
		start := uint64(1 + s*every)
		b := bytes.Clone(tt.image[start*sector : (start+uint64(segSectors))*sector])
		b[len(b)/2] ^= 0xff // B differs from A in one byte
		tt.variants = append(tt.variants, titlepkg.Variant{Start: start, B: b})
	}
	return tt
}

// copyOf is the plain image a copy with codeword bits gets.
func (tt *title) copyOf(bits []int) []byte {
	img := bytes.Clone(tt.image)
	for s, v := range tt.variants {
		if bits[s] == 1 {
			copy(img[v.Start*sector:], v.B)
		}
	}
	return img
}

func (tt *title) record(t testing.TB) *digests.Record {
	t.Helper()
	rec, err := Build("film-1", testParams, bytes.NewReader(tt.image), tt.variants)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// onlyReader hides Seek, as a pipe or stdin would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadMixedDamagedTruncated(t *testing.T) {
	tt := newTitle(t, 32, 3, 5)
	rec := tt.record(t)
	// Two copies' segments interleaved: even segments from copy x, odd
	// from copy y.
	x, y := make([]int, 32), make([]int, 32)
	for i := range x {
		x[i], y[i] = i%3&1, (i/2)&1
	}
	mix := tt.copyOf(x)
	yImg := tt.copyOf(y)
	for s, v := range tt.variants {
		if s%2 == 1 {
			n := uint64(len(v.B))
			copy(mix[v.Start*sector:v.Start*sector+n], yImg[v.Start*sector:])
		}
	}
	mix[tt.variants[4].Start*sector+7] ^= 1       // damage segment 4
	cut := mix[:(tt.variants[30].Start+1)*sector] // segment 30 cut short, 31 missing
	for name, r := range map[string]io.Reader{"seeker": bytes.NewReader(cut), "stream": onlyReader{bytes.NewReader(cut)}} {
		d, rep, err := Read(r, rec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for s := range 32 {
			want := tardos.A
			bit := x[s]
			if s%2 == 1 {
				bit = y[s]
			}
			if bit == 1 {
				want = tardos.B
			}
			if s == 4 || s >= 30 {
				want = tardos.Erased
			}
			if d[s] != want {
				t.Errorf("%s: segment %d: %v, want %v", name, s, d[s], want)
			}
		}
		if rep.Erased != 3 || rep.Missing != 2 || rep.A+rep.B != 29 {
			t.Errorf("%s: report %+v, want 3 erased of which 2 missing, 29 decided", name, rep)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	tt := newTitle(t, 32, 1, 2)
	if _, err := Build("film-1", testParams, bytes.NewReader(tt.image), tt.variants[:29]); !errors.Is(err, digests.ErrSpec) {
		t.Errorf("29 segments for a code of 30: %v, want ErrSpec", err)
	}
	if _, err := Build("film-1", testParams, bytes.NewReader(tt.image[:40*sector]), tt.variants); !errors.Is(err, digests.ErrSpec) {
		t.Errorf("image shorter than its segments: %v, want ErrSpec", err)
	}
	same := append([]titlepkg.Variant(nil), tt.variants...)
	same[3].B = tt.image[same[3].Start*sector : (same[3].Start+1)*sector]
	if _, err := Build("film-1", testParams, bytes.NewReader(tt.image), same); !errors.Is(err, digests.ErrSpec) {
		t.Errorf("identical variants: %v, want ErrSpec", err)
	}
	if _, err := Build("film-1", tardos.Params{N: 10000, C: 5, Eps1: 1e-9}, bytes.NewReader(tt.image), tt.variants); !errors.Is(err, digests.ErrSpec) {
		t.Errorf("parameters needing more than a package holds: %v, want ErrSpec", err)
	}
}

// errReader fails after some bytes: an I/O error is an error, not erasures.
type errReader struct{ n int }

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errors.New("device error")
	}
	k := min(len(p), e.n)
	e.n -= k
	return k, nil
}

func TestReadIOError(t *testing.T) {
	tt := newTitle(t, 32, 1, 2)
	rec := tt.record(t)
	if _, _, err := Read(&errReader{n: 10 * sector}, rec); !errors.Is(err, ErrRead) {
		t.Errorf("I/O error: %v, want ErrRead", err)
	}
}

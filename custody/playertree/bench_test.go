package playertree

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"go.dedis.ch/kyber/v4/encrypt/ibe"
)

// revokedLeaves draws r distinct leaves of a tree, the same for a seed.
func revokedLeaves(tr Tree, r int, seed uint64) []uint32 {
	rng := mrand.New(mrand.NewPCG(seed, seed))
	seen := map[uint32]bool{}
	var out []uint32
	for len(out) < r {
		l := uint32(rng.Uint64N(tr.Leaves()))
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// BenchmarkCover: the cover of a tree of 2^20 players with r revoked.
func BenchmarkCover(b *testing.B) {
	tr := Tree{ID: "bench", Depth: DefaultDepth}
	for _, r := range []int{0, 10, 100, 1000} {
		revoked := revokedLeaves(tr, r, 1)
		b.Run(fmt.Sprintf("revoked=%d", r), func(b *testing.B) {
			var n int
			for b.Loop() {
				c, err := tr.Cover(revoked)
				if err != nil {
					b.Fatal(err)
				}
				n = len(c)
			}
			b.ReportMetric(float64(n), "cover-nodes")
		})
	}
}

// BenchmarkBuild: what a station spends on one disc's key block for 2^20
// players with r revoked, and the block's size.
func BenchmarkBuild(b *testing.B) {
	nw := newNetwork(b, 2, 4)
	tr := Tree{ID: "bench", Depth: DefaultDepth}
	for _, r := range []int{0, 10, 100, 1000} {
		revoked := revokedLeaves(tr, r, 1)
		b.Run(fmt.Sprintf("revoked=%d", r), func(b *testing.B) {
			var size int
			for b.Loop() {
				blk, err := Build(nw.group(), tr, revoked, []byte("media"), make([]byte, 32), rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				size = len(blk)
			}
			b.ReportMetric(float64(size), "block-bytes")
		})
	}
}

// BenchmarkBuildCached: a station's time per disc once its Encrypter has
// the cover's pairings (from an earlier disc with the same revoked set):
// a G2 multiplication and a GT exponentiation per entry. first-disc-ns is
// the disc that filled the cache.
func BenchmarkBuildCached(b *testing.B) {
	nw := newNetwork(b, 2, 4)
	tr := Tree{ID: "bench", Depth: DefaultDepth}
	for _, r := range []int{10, 100, 1000} {
		revoked := revokedLeaves(tr, r, 1)
		b.Run(fmt.Sprintf("revoked=%d", r), func(b *testing.B) {
			e, err := NewEncrypter(nw.group(), tr)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if _, err := e.Build(revoked, []byte("media"), make([]byte, 32), rand.Reader); err != nil {
				b.Fatal(err)
			}
			first := time.Since(start)
			var size int
			for b.Loop() {
				blk, err := e.Build(revoked, []byte("media"), make([]byte, 32), rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				size = len(blk)
			}
			b.ReportMetric(float64(size), "block-bytes")
			b.ReportMetric(float64(first.Nanoseconds()), "first-disc-ns")
		})
	}
}

// BenchmarkOpen: a player's cost to open a block (one pairing, one GCM),
// and to find its entry in a block with 1,000 players revoked.
func BenchmarkOpen(b *testing.B) {
	nw := newNetwork(b, 2, 4)
	tr := Tree{ID: "bench", Depth: DefaultDepth}
	revoked := revokedLeaves(tr, 1000, 1)
	p := nw.enroll(b, tr, 123456, 0, 1)
	blk, err := Build(nw.group(), tr, revoked, []byte("media"), make([]byte, 32), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Open(p, blk, []byte("media")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnroll: extracting one player's 21 path keys from 2 of 4
// nodes' partials, with every partial and key verified.
func BenchmarkEnroll(b *testing.B) {
	nw := newNetwork(b, 2, 4)
	tr := Tree{ID: "bench", Depth: DefaultDepth}
	for b.Loop() {
		nw.enroll(b, tr, 999, 0, 1)
	}
}

// BenchmarkEntry: one cover entry's encryption, as kyber's EncryptCCAonG2
// does it (hash to G1, a pairing, a G2 multiplication, a GT
// exponentiation) and as the Encrypter does it with the node's pairing
// cached (the last two).
func BenchmarkEntry(b *testing.B) {
	nw := newNetwork(b, 2, 4)
	tr := Tree{ID: "bench", Depth: DefaultDepth}
	n := Node{Depth: 10, Path: 77}
	label, err := tr.Label(n)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, DiscKeySize)
	b.Run("kyber", func(b *testing.B) {
		for b.Loop() {
			if _, err := ibe.EncryptCCAonG2(suite, nw.group(), label, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		e, err := NewEncrypter(nw.group(), tr)
		if err != nil {
			b.Fatal(err)
		}
		sigma := make([]byte, DiscKeySize)
		if _, err := e.encrypt(n, msg, sigma); err != nil { // fills the cache
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := e.encrypt(n, msg, sigma); err != nil {
				b.Fatal(err)
			}
		}
	})
}

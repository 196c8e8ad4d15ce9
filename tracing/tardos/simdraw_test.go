package tardos

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// The long simulation's innocents: drawn 64 copies at a time with the
// distribution DeriveCodeword gives, at a fraction of its cost.

// drawInnocents fills the codewords of copies from..len(copies)-1 by
// their biases, 64 copies × 64 positions at a time: for each position a
// 64-lane Bernoulli draw (bernoulli64), then a bit-matrix transpose gives
// each copy 64 positions as one big-endian word, the codeword's own bit
// order. Each bit is [u < T[i]] for a uniform 32-bit u, as in
// DeriveCodeword: the same distribution at about an eighth of the random
// bits.
func drawInnocents(r *rand.Rand, t []uint32, copies []Copy, from int) {
	var a [64]uint64
	for base := from; base < len(copies); base += 64 {
		n := min(64, len(copies)-base)
		for i0 := 0; i0 < len(t); i0 += 64 {
			for k := range a {
				a[k] = 0
				if i0+k < len(t) {
					a[k] = bernoulli64(r, t[i0+k])
				}
			}
			transpose64(&a)
			for c := range n {
				w := copies[base+c].Codeword[i0/8:]
				var buf [8]byte
				binary.BigEndian.PutUint64(buf[:], a[c])
				copy(w, buf[:]) // the last block: only the codeword's bytes
			}
		}
	}
}

// bernoulli64 returns 64 independent bits, each [u < t] for its own
// uniform 32-bit u compared most significant bit first: a lane is decided
// at the first bit where its u differs from t, so about 7 words of
// randomness decide all 64 lanes.
func bernoulli64(r *rand.Rand, t uint32) uint64 {
	undecided, res := ^uint64(0), uint64(0)
	for j := 31; j >= 0 && undecided != 0; j-- {
		x := r.Uint64()
		if t>>j&1 == 1 {
			res |= undecided &^ x // u's bit 0 under t's 1: u < t
			undecided &= x
		} else {
			undecided &^= x // u's bit 1 over t's 0: u > t
		}
	}
	return res // lanes still undecided have u = t: bit 0
}

// transpose64 transposes a 64×64 bit matrix in place, element (r, c) being
// bit 63−c of a[r] (Hacker's Delight, section 7-3).
func transpose64(a *[64]uint64) {
	m := uint64(0x00000000ffffffff)
	for j := 32; j != 0; j, m = j>>1, m^(m<<(j>>1)) {
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			t := (a[k] ^ (a[k+j] >> j)) & m
			a[k] ^= t
			a[k+j] ^= t << j
		}
	}
}

// TestDrawInnocents checks the simulation's fast draw: transpose64 against
// the definition, and each position's frequency of B against its bias.
func TestDrawInnocents(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{11}))
	var a, orig [64]uint64
	for k := range a {
		a[k] = r.Uint64()
	}
	orig = a
	transpose64(&a)
	for i := range 64 {
		for j := range 64 {
			if a[i]>>(63-j)&1 != orig[j]>>(63-i)&1 {
				t.Fatalf("transpose64: element (%d, %d) wrong", i, j)
			}
		}
	}
	code := Code{M: 100, Delta: 0.05}
	b, _ := DeriveBiases([32]byte{12}, code)
	const n = 20000
	words := make([]byte, n*13)
	copies := make([]Copy, n)
	for j := range copies {
		copies[j] = Copy{ID: uint64(j), Codeword: words[j*13 : (j+1)*13]}
	}
	drawInnocents(r, b.T, copies, 0)
	for i := range code.M {
		ones := 0
		for _, c := range copies {
			ones += c.Codeword.Bit(i)
		}
		p := b.P(i)
		if sd := math.Sqrt(p * (1 - p) / n); math.Abs(float64(ones)/n-p) > 5*sd {
			t.Errorf("position %d: B in %d of %d copies, bias %.4f", i, ones, n, p)
		}
	}
	for _, c := range copies {
		if c.Codeword[12]&0x0f != 0 {
			t.Fatal("padding bits set")
		}
	}
}

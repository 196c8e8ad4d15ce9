package tardos

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkScore100k scores 100,000 opened codewords of the largest code
// the simulations use (N=10,000, C=4, Eps1=1e-6: 3,637 positions) against
// one leak, scorer construction (tables and threshold) included: one op is
// a whole accusation run.
func BenchmarkScore100k(b *testing.B) {
	code, err := Params{N: 10000, C: 4, Eps1: 1e-6}.Code()
	if err != nil {
		b.Fatal(err)
	}
	bs, err := DeriveBiases([32]byte{1}, code)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewChaCha8([32]byte{2}))
	stride := (code.M + 7) / 8
	words := make([]byte, 100000*stride)
	for i := range words {
		words[i] = byte(r.Uint32())
	}
	copies := make([]Copy, 100000)
	for j := range copies {
		copies[j] = Copy{ID: uint64(j), Codeword: words[j*stride : (j+1)*stride]}
	}
	d := make(Decisions, code.M)
	for i := range d {
		d[i] = Decision(1 + r.IntN(2))
	}
	b.ResetTimer()
	for b.Loop() {
		s, err := NewScorer(bs, d, code)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Accuse(copies); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeriveCodeword derives one copy's codeword of 3,637 positions.
func BenchmarkDeriveCodeword(b *testing.B) {
	code, _ := Params{N: 10000, C: 4, Eps1: 1e-6}.Code()
	bs, _ := DeriveBiases([32]byte{1}, code)
	for b.Loop() {
		if _, err := DeriveCodeword([32]byte{3}, bs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewFixedScorer builds the ledger's scorer for a leak of 4,096
// positions (C = 4 biases, 20% erased): the byte tables and both bounds,
// what the contract computes once per accusation.
func BenchmarkNewFixedScorer(b *testing.B) {
	code := Code{M: MaxLength, Delta: Cutoff(4)}
	bs, _ := DeriveBiases([32]byte{1}, code)
	li, _ := FixedLogInv(10000, 1e-6)
	r := rand.New(rand.NewChaCha8([32]byte{2}))
	d := make(Decisions, code.M)
	for i := range d {
		if r.IntN(5) != 0 {
			d[i] = Decision(1 + r.IntN(2))
		}
	}
	for b.Loop() {
		if _, err := NewFixedScorer(bs, d, li); err != nil {
			b.Fatal(err)
		}
	}
}

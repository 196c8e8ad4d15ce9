package tardos

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestParamsCode(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		m    int
		err  error
	}{
		{"c1", Params{N: 10000, C: 1, Eps1: 1e-6}, 228, nil},
		{"c4", Params{N: 10000, C: 4, Eps1: 1e-6}, 3637, nil},
		{"c5 fits at 1e-3", Params{N: 10000, C: 5, Eps1: 1e-3}, 3977, nil},
		{"c5 too long at 1e-6", Params{N: 10000, C: 5, Eps1: 1e-6}, 0, ErrParams},
		{"no copies", Params{N: 0, C: 1, Eps1: 1e-3}, 0, ErrParams},
		{"too many copies", Params{N: MaxCopies + 1, C: 1, Eps1: 1e-3}, 0, ErrParams},
		{"no coalition", Params{N: 10, C: 0, Eps1: 1e-3}, 0, ErrParams},
		{"huge coalition", Params{N: 10, C: MaxColluders + 1, Eps1: 1e-3}, 0, ErrParams},
		{"eps zero", Params{N: 10, C: 1, Eps1: 0}, 0, ErrParams},
		{"eps NaN", Params{N: 10, C: 1, Eps1: math.NaN()}, 0, ErrParams},
		{"eps too big", Params{N: 10, C: 1, Eps1: 0.9}, 0, ErrParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := tt.p.Code()
			if !errors.Is(err, tt.err) {
				t.Fatalf("%+v.Code() error = %v, want %v", tt.p, err, tt.err)
			}
			if err == nil && code.M != tt.m {
				t.Errorf("%+v.Code().M = %d, want %d", tt.p, code.M, tt.m)
			}
		})
	}
}

// TestDerivationVector pins the derivation of biases and a codeword for
// fixed seeds: any change to the HKDF labels, the bias map or the bit rule
// changes every title's codewords and must be deliberate. The values were
// checked against an independent Python implementation (hmac, hashlib,
// math.sin) of docs/tracing.md's derivation.
func TestDerivationVector(t *testing.T) {
	code, err := Params{N: 10000, C: 2, Eps1: 1e-6}.Code()
	if err != nil {
		t.Fatal(err)
	}
	var ts, cs [32]byte
	ts[0], cs[0] = 1, 2
	b, err := DeriveBiases(ts, code)
	if err != nil {
		t.Fatal(err)
	}
	w, err := DeriveCodeword(cs, b)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, x := range b.T {
		h.Write(binary.BigEndian.AppendUint32(nil, x))
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), "3f8ddbda902254eb3ecc45a203d086046bdbd05d5c65486925613ae0075851d6"; got != want {
		t.Errorf("DeriveBiases digest = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(w[:16]), "541b31d8f905ec6c291a3a4f3bb37c28"; got != want {
		t.Errorf("DeriveCodeword prefix = %s, want %s", got, want)
	}
}

func TestBiasesInRange(t *testing.T) {
	code, _ := Params{N: 10000, C: 4, Eps1: 1e-6}.Code()
	b, err := DeriveBiases([32]byte{7}, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.T) != code.M {
		t.Fatalf("len(biases) = %d, want %d", len(b.T), code.M)
	}
	// Mean of the cut-off arcsine distribution is 1/2 by symmetry.
	var sum float64
	for i := range b.T {
		p := b.P(i)
		if p < code.Delta*(1-1e-9) || p > 1-code.Delta*(1-1e-9) {
			t.Fatalf("bias %d = %g, outside [%g, %g]", i, p, code.Delta, 1-code.Delta)
		}
		sum += p
	}
	if mean := sum / float64(code.M); math.Abs(mean-0.5) > 0.03 {
		t.Errorf("mean bias = %g, want about 0.5", mean)
	}
}

// TestCodewordFrequency checks DeriveCodeword takes B with probability p:
// over 400 copies, the summed deviation (bit − p) is within 5 standard
// deviations, and so is each position's.
func TestCodewordFrequency(t *testing.T) {
	code, _ := Params{N: 10000, C: 1, Eps1: 1e-6}.Code()
	b, err := DeriveBiases([32]byte{9}, code)
	if err != nil {
		t.Fatal(err)
	}
	const copies = 400
	ones := make([]int, code.M)
	for j := range copies {
		var s [32]byte
		binary.BigEndian.PutUint64(s[:], uint64(j))
		w, err := DeriveCodeword(s, b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ones {
			ones[i] += w.Bit(i)
		}
	}
	var dev, variance float64
	for i, n := range ones {
		p := b.P(i)
		v := copies * p * (1 - p)
		d := float64(n) - copies*p
		if math.Abs(d) > 5*math.Sqrt(v) {
			t.Errorf("position %d: %d of %d copies hold B, want about %.1f", i, n, copies, copies*p)
		}
		dev += d
		variance += v
	}
	if math.Abs(dev) > 5*math.Sqrt(variance) {
		t.Errorf("total deviation %.1f, want within %.1f", dev, 5*math.Sqrt(variance))
	}
}

func TestDeriveErrors(t *testing.T) {
	if _, err := DeriveBiases([32]byte{}, Code{M: 0, Delta: 0.1}); !errors.Is(err, ErrParams) {
		t.Errorf("DeriveBiases(M=0) error = %v, want ErrParams", err)
	}
	if _, err := DeriveBiases([32]byte{}, Code{M: MaxLength + 1, Delta: 0.1}); !errors.Is(err, ErrParams) {
		t.Errorf("DeriveBiases(M too big) error = %v, want ErrParams", err)
	}
	if _, err := DeriveCodeword([32]byte{}, Biases{}); !errors.Is(err, ErrLength) {
		t.Errorf("DeriveCodeword(no biases) error = %v, want ErrLength", err)
	}
}

// TestScorerMatchesDefinition compares the table-driven score with the
// symmetric score summed position by position.
func TestScorerMatchesDefinition(t *testing.T) {
	code, _ := Params{N: 1000, C: 2, Eps1: 1e-3}.Code()
	b, _ := DeriveBiases([32]byte{3}, code)
	r := rand.New(rand.NewChaCha8([32]byte{4}))
	d := make(Decisions, code.M)
	for i := range d {
		d[i] = Decision(r.IntN(3))
	}
	s, err := NewScorer(b, d, code)
	if err != nil {
		t.Fatal(err)
	}
	for j := range 20 {
		w, _ := DeriveCodeword([32]byte{byte(j)}, b)
		var want float64
		for i := range d {
			p := b.P(i)
			g1, g0 := math.Sqrt((1-p)/p), math.Sqrt(p/(1-p))
			switch {
			case d[i] == B && w.Bit(i) == 1:
				want += g1
			case d[i] == B:
				want -= g0
			case d[i] == A && w.Bit(i) == 0:
				want += g0
			case d[i] == A:
				want -= g1
			}
		}
		got, err := s.Score(w)
		if err != nil {
			t.Fatal(err)
		}
		// The scorer is the ledger's fixed-point one: each position's
		// magnitude is floored to 2⁻³².
		if math.Abs(got-want) > float64(code.M)/Q+1e-9 {
			t.Errorf("Score(copy %d) = %v, want %v", j, got, want)
		}
	}
	if s.Threshold() > Threshold(s.Present(), math.Sqrt((1-code.Delta)/code.Delta), code.LogInv) {
		t.Errorf("Threshold() = %v, above the Bernstein bound", s.Threshold())
	}
}

func TestScorerErrors(t *testing.T) {
	code, _ := Params{N: 1000, C: 1, Eps1: 1e-3}.Code()
	b, _ := DeriveBiases([32]byte{3}, code)
	if _, err := NewScorer(b, make(Decisions, code.M-1), code); !errors.Is(err, ErrLength) {
		t.Errorf("NewScorer(short decisions) error = %v, want ErrLength", err)
	}
	bad := make(Decisions, code.M)
	bad[5] = 3
	if _, err := NewScorer(b, bad, code); !errors.Is(err, ErrDecisions) {
		t.Errorf("NewScorer(decision 3) error = %v, want ErrDecisions", err)
	}
	s, err := NewScorer(b, make(Decisions, code.M), code) // all erased
	if err != nil {
		t.Fatal(err)
	}
	w, _ := DeriveCodeword([32]byte{1}, b)
	if acc, err := s.Accuse([]Copy{{ID: 1, Codeword: w}}); err != nil || len(acc) != 0 || !math.IsInf(s.Threshold(), 1) {
		t.Errorf("Accuse(all erased) = %v, %v, want nobody", acc, err)
	}
	if _, err := s.Accuse([]Copy{{ID: 1, Codeword: w[1:]}}); !errors.Is(err, ErrLength) {
		t.Errorf("Accuse(short codeword) error = %v, want ErrLength", err)
	}
	if _, err := s.Score(w[1:]); !errors.Is(err, ErrLength) {
		t.Errorf("Score(short codeword) error = %v, want ErrLength", err)
	}
}

// TestThresholdBoundsInnocentTail checks the threshold against innocent
// copies at a large Eps1, where the tail is measurable: with N = 1 and
// Eps1 = 0.05, at most 5% of innocent codewords may score above it.
func TestThresholdBoundsInnocentTail(t *testing.T) {
	code, _ := Params{N: 1, C: 2, Eps1: 0.05}.Code()
	b, _ := DeriveBiases([32]byte{5}, code)
	r := rand.New(rand.NewChaCha8([32]byte{6}))
	d := make(Decisions, code.M)
	for i := range d {
		if r.IntN(5) != 0 {
			d[i] = Decision(1 + r.IntN(2))
		}
	}
	s, err := NewScorer(b, d, code)
	if err != nil {
		t.Fatal(err)
	}
	const copies = 20000
	over := 0
	for j := range copies {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], uint64(j))
		w, _ := DeriveCodeword(seed, b)
		if sc, _ := s.Score(w); sc > s.Threshold() {
			over++
		}
	}
	if frac := float64(over) / copies; frac > 0.05 {
		t.Errorf("%d of %d innocent copies above the threshold (%.4f), want at most 0.05", over, copies, frac)
	} else {
		t.Logf("%d of %d innocent copies above Z = %.2f (%d positions present)", over, copies, s.Threshold(), s.Present())
	}
}

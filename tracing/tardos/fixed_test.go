package tardos

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestFixedLogInv(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		eps1 float64
	}{{1, 0.5}, {10, 0.5}, {10000, 1e-6}, {1 << 32, 1e-300}, {3, 0.3}, {1000000, 1e-200}} {
		got, err := FixedLogInv(c.n, c.eps1)
		if err != nil {
			t.Fatal(err)
		}
		want := math.Log(float64(c.n)) - math.Log(c.eps1)
		if g := float64(got) / Q; g < want || g > want+3e-9 {
			t.Errorf("FixedLogInv(%d, %g) = %.12f, want just above %.12f", c.n, c.eps1, g, want)
		}
	}
	if _, err := FixedLogInv(0, 0.5); err == nil {
		t.Error("N = 0 accepted")
	}
}

// TestFixedScorer: the fixed-point score is the float score to within one
// unit per position, and the fixed threshold is at least Bernstein's.
func TestFixedScorer(t *testing.T) {
	code, _ := Params{N: 10000, C: 3, Eps1: 1e-6}.Code()
	b, _ := DeriveBiases([32]byte{9}, code)
	r := rand.New(rand.NewChaCha8([32]byte{4}))
	d := make(Decisions, code.M)
	present := 0
	for i := range d {
		d[i] = Decision(r.IntN(3))
		if d[i] != Erased {
			present++
		}
	}
	li, _ := FixedLogInv(10000, 1e-6)
	fs, err := NewFixedScorer(b, d, li)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewScorer(b, d, code)
	for k := range 50 {
		cw, _ := DeriveCodeword([32]byte{byte(k)}, b)
		fx, err := fs.Score(cw)
		if err != nil {
			t.Fatal(err)
		}
		fl, _ := s.Score(cw)
		if math.Abs(float64(fx)/Q-fl) > float64(code.M)/Q+1e-9 {
			t.Errorf("copy %d: fixed score %.9f, float %.9f", k, float64(fx)/Q, fl)
		}
	}
	var bmax float64
	for i, x := range b.T {
		if d[i] != Erased {
			p := float64(x) / Q
			bmax = max(bmax, math.Sqrt((1-p)/p), math.Sqrt(p/(1-p)))
		}
	}
	// Never above global Bernstein (it is one of the two bounds), never
	// below √(2·L·m′): every term of the per-position sum is at least 1.
	zb := Threshold(present, bmax, code.LogInv)
	if z := float64(fs.Threshold()) / Q; z > zb*1.000001 || z < math.Sqrt(2*code.LogInv*float64(present)) {
		t.Errorf("fixed threshold %.6f, Bernstein %.6f, √(2Lm′) %.6f", z, zb, math.Sqrt(2*code.LogInv*float64(present)))
	}
	if _, err := fs.Score(make(Codeword, 3)); err == nil {
		t.Error("a short codeword scored")
	}
}

// TestFixedVector pins the fixed-point rules: any change to them changes
// which accusations the ledger records and must be deliberate.
func TestFixedVector(t *testing.T) {
	code, _ := Params{N: 10000, C: 2, Eps1: 1e-6}.Code()
	b, _ := DeriveBiases([32]byte{1}, code)
	d := make(Decisions, code.M)
	for i := range d {
		d[i] = Decision(i % 3)
	}
	li, _ := FixedLogInv(10000, 1e-6)
	fs, _ := NewFixedScorer(b, d, li)
	cw, _ := DeriveCodeword([32]byte{2}, b)
	sc, _ := fs.Score(cw)
	h := sha256.New()
	for _, x := range b.T {
		a, bb := FixedHits(x)
		h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, a), bb))
	}
	t.Logf("L=%d Z=%d (global %d, per position %d at l=%d) S=%d hits=%x", li, fs.Threshold(), fs.bernstein, fs.perPosition, fs.lambda, sc, h.Sum(nil))
	if fs.bernstein != fixedZB || fs.perPosition != fixedZ || fs.lambda != fixedLambda {
		t.Errorf("global Bernstein %d, per position %d at l=%d, want %d, %d at l=%d", fs.bernstein, fs.perPosition, fs.lambda, fixedZB, fixedZ, fixedLambda)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != fixedHitsDigest {
		t.Errorf("FixedHits digest %s, want %s", got, fixedHitsDigest)
	}
	if li != fixedL || fs.Threshold() != fixedZ || sc != fixedS {
		t.Errorf("L=%d Z=%d S=%d, want %d %d %d", li, fs.Threshold(), sc, fixedL, fixedZ, fixedS)
	}
}

const (
	fixedHitsDigest = "b52d7d06b1887b42c713f1a1c2cf8daa2e705c1ff7f9ce392dfc9df11d95f5b8"
	fixedL          = 98895276708
	fixedZ          = 767754586238
	fixedZB         = 916531316782
	fixedLambda     = 15738
	fixedS          = -227316617025
)

// TestIsqrtQuo: the fast exact square root agrees with math/big's on edge
// values and on random ones.
func TestIsqrtQuo(t *testing.T) {
	want := func(x, y uint64) uint64 {
		q := new(big.Int).Lsh(new(big.Int).SetUint64(x), 64)
		q.Quo(q, new(big.Int).SetUint64(y))
		return q.Sqrt(q).Uint64()
	}
	r := rand.New(rand.NewChaCha8([32]byte{8}))
	cases := [][2]uint64{{1, 1}, {1, Q}, {Q, 1}, {Q, Q}, {Q - 1, 1}, {1, Q - 1}, {Q / 2, Q / 2}, {3, 7}}
	for range 20000 {
		cases = append(cases, [2]uint64{1 + r.Uint64N(Q), 1 + r.Uint64N(Q)})
	}
	for _, c := range cases {
		if got, w := isqrtQuo(c[0], c[1]), want(c[0], c[1]); got != w {
			t.Fatalf("isqrtQuo(%d, %d) = %d, want %d", c[0], c[1], got, w)
		}
	}
}

// TestPerPositionMatchesFloat: the integer per-position bound is the
// real-valued Z(λ) = λ/2·Σ 1/(1 − λh_i/3) + L/λ, minimised over λ, rounded
// up: at the chosen λ never below the float value, and its minimum within
// a millionth of the float minimum found by a fine scan.
func TestPerPositionMatchesFloat(t *testing.T) {
	for c := 1; c <= 4; c++ {
		code, _ := Params{N: 10000, C: c, Eps1: 1e-6}.Code()
		b, _ := DeriveBiases([32]byte{byte(c)}, code)
		r := rand.New(rand.NewChaCha8([32]byte{5, byte(c)}))
		d := make(Decisions, code.M)
		var hits []float64
		var hq []uint64
		for i := range d {
			d[i] = Decision(r.IntN(3))
			p := b.P(i)
			fa, fb := FixedHits(b.T[i])
			switch d[i] {
			case A:
				hits, hq = append(hits, math.Sqrt(p/(1-p))), append(hq, fa+1)
			case B:
				hits, hq = append(hits, math.Sqrt((1-p)/p)), append(hq, fb+1)
			}
		}
		zf := func(l float64) float64 {
			var sum float64
			for _, h := range hits {
				sum += 1 / (1 - l*h/3)
			}
			return l/2*sum + code.LogInv/l
		}
		zq, lq := perPositionThreshold(hq, code.LogInvQ)
		lambda := float64(lq) / (1 << lambdaBits)
		if got, want := float64(zq)/Q, zf(lambda); got < want || got > want*(1+1e-6) {
			t.Errorf("C=%d: Z(λ=%.6f) = %.6f, float %.6f", c, lambda, got, want)
		}
		best := math.Inf(1)
		var hmax float64
		for _, h := range hits {
			hmax = max(hmax, h)
		}
		for k := 1; k < 3000; k++ {
			best = min(best, zf(3/hmax*float64(k)/3000))
		}
		if got := float64(zq) / Q; got > best*(1+1e-6) {
			t.Errorf("C=%d: integer search found %.6f, a scan %.6f", c, got, best)
		}
	}
}

// FuzzFixedScorer: for any decisions (one byte each, mod 3) under derived
// biases of any coalition size, the ledger's scorer builds without error,
// its threshold is never above global Bernstein and never below √(2·L·m′)
// (the per-position sum has every term at least 1), and building it twice
// gives the same threshold.
func FuzzFixedScorer(f *testing.F) {
	f.Add(uint8(1), []byte{1, 2, 0, 1})
	f.Add(uint8(4), make([]byte, 300))
	f.Add(uint8(16), []byte{2, 2, 2, 2, 2, 2, 2, 2, 1})
	li, _ := FixedLogInv(10000, 1e-6)
	f.Fuzz(func(t *testing.T, c uint8, raw []byte) {
		if len(raw) == 0 || len(raw) > MaxLength {
			return
		}
		code := Code{M: len(raw), Delta: Cutoff(1 + int(c)%MaxColluders)}
		b, err := DeriveBiases([32]byte{c}, code)
		if err != nil {
			t.Fatal(err)
		}
		d := make(Decisions, len(raw))
		for i, x := range raw {
			d[i] = Decision(x % 3)
		}
		fs, err := NewFixedScorer(b, d, li)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := NewFixedScorer(b, d, li)
		z := fs.Threshold()
		if again.Threshold() != z {
			t.Fatalf("threshold %d, then %d", z, again.Threshold())
		}
		if fs.present == 0 {
			if z != math.MaxInt64 {
				t.Fatalf("nothing read, threshold %d", z)
			}
			return
		}
		if z > fs.bernstein || float64(z)/Q < math.Sqrt(2*float64(li)/Q*float64(fs.present)) {
			t.Fatalf("threshold %d, global Bernstein %d, %d present", z, fs.bernstein, fs.present)
		}
	})
}

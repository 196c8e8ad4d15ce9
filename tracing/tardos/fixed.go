package tardos

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// Fixed-point scoring: what the ledger recomputes to check an accusation.
// Every value is an integer in units of 2⁻³² (Q32); the rules below are the
// specification (docs/tracing.md, "Fixed-point score"), so any
// implementation gets the same bits. No floating point is used but for the
// one logarithm in FixedLogInv, which is computed in software (math/big)
// far beyond the precision kept and rounded up.

// Q is the fixed-point unit: a value v stands for v/2³².
const Q = 1 << 32

// FixedLogInv is ⌈ln(N/Eps1)·2³²⌉ + 1: ln(N/Eps1) rounded up in Q32, with
// one unit to spare for the logarithm's own error (below 2⁻¹⁰⁰). Eps1 is
// a float64, i.e. exactly m·2^e, so N/Eps1 is a rational computed exactly.
func FixedLogInv(n uint64, eps1 float64) (uint64, error) {
	if n < 1 || n > MaxCopies || !(eps1 > 0 && eps1 <= 0.5) {
		return 0, fmt.Errorf("tardos.FixedLogInv: %w: N=%d, Eps1=%g", ErrParams, n, eps1)
	}
	const prec = 256
	x := new(big.Float).SetPrec(prec).SetUint64(n)
	x.Quo(x, new(big.Float).SetPrec(prec).SetFloat64(eps1))
	l := bigLog(x, prec)
	l.Mul(l, new(big.Float).SetPrec(prec).SetUint64(Q))
	i, acc := l.Int(nil) // truncates toward zero; l > 0
	if acc == big.Below {
		i.Add(i, big.NewInt(1))
	}
	return i.Uint64() + 1, nil
}

// bigLog is ln(x) for x ≥ 1 at prec bits: x = 2^k·f with f in [1, 2),
// ln x = k·ln 2 + 2·atanh((f−1)/(f+1)), the series summed until its terms
// vanish at this precision.
func bigLog(x *big.Float, prec uint) *big.Float {
	f := new(big.Float).SetPrec(prec)
	k := x.MantExp(f) // x = f·2^k, f in [0.5, 1)
	f.SetMantExp(f, 1)
	k--
	res := atanh2(f, prec)
	if k != 0 {
		two := new(big.Float).SetPrec(prec).SetInt64(2)
		ln2 := atanh2(two, prec)
		res.Add(res, ln2.Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(int64(k))))
	}
	return res
}

// atanh2 is ln(f) = 2·Σ z^(2j+1)/(2j+1), z = (f−1)/(f+1), for f in [1, 2].
func atanh2(f *big.Float, prec uint) *big.Float {
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	z := new(big.Float).SetPrec(prec).Sub(f, one)
	z.Quo(z, new(big.Float).SetPrec(prec).Add(f, one))
	z2 := new(big.Float).SetPrec(prec).Mul(z, z)
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).Set(z)
	t := new(big.Float).SetPrec(prec)
	for j := int64(0); j < 400 && term.Sign() != 0; j++ {
		t.Quo(term, new(big.Float).SetPrec(prec).SetInt64(2*j+1))
		if t.MantExp(nil) < sum.MantExp(nil)-int(prec)-8 && sum.Sign() != 0 {
			break
		}
		sum.Add(sum, t)
		term.Mul(term, z2)
	}
	return sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
}

// FixedHits are position i's two score magnitudes in Q32, floored:
// b = ⌊√(⌊(2³²−T)·2⁶⁴/T⌋)⌋ ≈ √((1−p)/p)·2³² (a B scores this where the leak
// shows B) and a = ⌊√(⌊T·2⁶⁴/(2³²−T)⌋)⌋ ≈ √(p/(1−p))·2³².
func FixedHits(t uint32) (a, b uint64) {
	if t == 0 {
		return 0, math.MaxUint32 << 8 // unreachable for derived biases (T ≥ δ·2³²)
	}
	return isqrtQuo(uint64(t), Q-uint64(t)), isqrtQuo(Q-uint64(t), uint64(t))
}

// isqrtQuo is ⌊√(⌊x·2⁶⁴/y⌋)⌋ for x, y ≤ 2³², y > 0, exactly: the 128-bit
// quotient, a floating-point estimate of its root, then integer
// corrections until r² ≤ q < (r+1)², so the result does not depend on the
// estimate's rounding.
func isqrtQuo(x, y uint64) uint64 {
	if y == 0 {
		return math.MaxUint64 >> 16
	}
	qh, rem := x/y, x%y // x·2⁶⁴/y = qh·2⁶⁴ + ⌊rem·2⁶⁴/y⌋
	ql, _ := bits.Div64(rem, 0, y)
	r := uint64(math.Sqrt(float64(qh)*(1<<64) + float64(ql)))
	for r > 0 && sqGreater(r, qh, ql) {
		r--
	}
	for !sqGreater(r+1, qh, ql) {
		r++
	}
	return r
}

// sqGreater reports r² > (qh·2⁶⁴ + ql).
func sqGreater(r, qh, ql uint64) bool {
	h, l := bits.Mul64(r, r)
	return h > qh || (h == qh && l > ql)
}

// FixedScorer scores codewords against a leak in Q32. It holds, per byte of
// a codeword (8 positions), the score of each of the 256 byte values, so a
// codeword of M positions costs ⌈M/8⌉ table lookups; the sums are exact
// (int64), so they equal the position-by-position definition in Score.
type FixedScorer struct {
	m         int
	table     [][256]int64
	threshold int64
	// The two bounds and the λ grid point (λ = lambda/2¹⁶) of the second,
	// kept for the test vector and the simulations' comparison.
	bernstein, perPosition int64
	lambda                 uint64
	present                int
}

// NewFixedScorer builds the scorer: per position the two magnitudes of
// FixedHits, and the threshold Z (Q32): the smaller of two bounds, each
// sound on its own (an innocent copy's fixed score exceeds it with
// probability at most e^{−L}), with L = logInv (FixedLogInv) and m′ the
// non-erased positions:
//
//   - Bernstein's bound (Threshold) rounded up, with B the largest
//     magnitude among the present positions plus one unit,
//     α = ⌈L·B/(3·2³²)⌉: α + ⌈√(α² + 2·L·m′·2³²)⌉ + m′;
//   - Bernstein's moment bound position by position (perPositionThreshold),
//     with each position's own hit (the magnitude an innocent copy scores
//     when it holds the variant the leak shows, plus one unit).
//
// The m′ units pay for the floors in the scores.
func NewFixedScorer(bs Biases, d Decisions, logInv uint64) (*FixedScorer, error) {
	m := len(bs.T)
	if m != len(d) || m < 1 || m > MaxLength {
		return nil, fmt.Errorf("tardos.NewFixedScorer: %w: %d biases, %d decisions", ErrLength, m, len(d))
	}
	if logInv == 0 || logInv > 1024*Q {
		return nil, fmt.Errorf("tardos.NewFixedScorer: %w: ln(N/Eps1) of %d/2³²", ErrParams, logInv)
	}
	s := &FixedScorer{m: m, table: make([][256]int64, (m+7)/8)}
	var bmax uint64
	hits := make([]uint64, 0, m)
	var pos [8][2]int64 // per position in the byte: score for bit 0, bit 1
	for j := range s.table {
		pos = [8][2]int64{}
		for k := 0; k < 8 && 8*j+k < m; k++ {
			i := 8*j + k
			if d[i] > B {
				return nil, fmt.Errorf("tardos.NewFixedScorer: %w: position %d is %v", ErrDecisions, i, d[i])
			}
			if d[i] == Erased {
				continue
			}
			a, b := FixedHits(bs.T[i])
			if d[i] == B {
				pos[k] = [2]int64{-int64(a), int64(b)}
				hits = append(hits, b+1)
			} else {
				pos[k] = [2]int64{int64(a), -int64(b)}
				hits = append(hits, a+1)
			}
			bmax = max(bmax, a, b)
			s.present++
		}
		t := &s.table[j]
		for k := range 8 {
			t[0] += pos[k][0]
		}
		// Each byte value from one with its lowest set bit cleared: that
		// bit (position 7−tz in the byte) turns from 0 to 1. Exact in int64.
		for v := 1; v < 256; v++ {
			k := 7 - bits.TrailingZeros(uint(v))
			t[v] = t[v&(v-1)] + pos[k][1] - pos[k][0]
		}
	}
	s.bernstein = fixedThreshold(s.present, bmax+1, logInv)
	s.perPosition, s.lambda = perPositionThreshold(hits, logInv)
	s.threshold = min(s.bernstein, s.perPosition)
	return s, nil
}

func fixedThreshold(present int, b, logInv uint64) int64 {
	if present == 0 {
		return math.MaxInt64 // nothing read: nobody can be accused
	}
	l, bb, q := new(big.Int).SetUint64(logInv), new(big.Int).SetUint64(b), big.NewInt(Q)
	a := new(big.Int).Mul(l, bb)
	den := new(big.Int).Mul(big.NewInt(3), q)
	a.Add(a, new(big.Int).Sub(den, big.NewInt(1))).Quo(a, den) // ⌈L·B/(3·2³²)⌉
	in := new(big.Int).Mul(a, a)
	in.Add(in, new(big.Int).Mul(new(big.Int).Mul(l, big.NewInt(2*int64(present))), q))
	r := new(big.Int).Sqrt(in)
	if new(big.Int).Mul(r, r).Cmp(in) != 0 {
		r.Add(r, big.NewInt(1)) // ⌈√⌉
	}
	z := a.Add(a, r)
	z.Add(z, big.NewInt(int64(present)))
	return z.Int64()
}

// Threshold is Z in Q32: a copy is accused when its score exceeds it.
func (s *FixedScorer) Threshold() int64 { return s.threshold }

// Present is the number of non-erased positions.
func (s *FixedScorer) Present() int { return s.present }

// Score is the codeword's score in Q32: per non-erased position, +b where
// leak and copy both show B, −a where the leak shows B and the copy A, +a
// where both show A, −b where the leak shows A and the copy B.
func (s *FixedScorer) Score(c Codeword) (int64, error) {
	if len(c) != len(s.table) {
		return 0, fmt.Errorf("tardos.FixedScorer.Score: %w: codeword of %d bytes, want %d", ErrLength, len(c), len(s.table))
	}
	return s.score(c), nil
}

func (s *FixedScorer) score(c Codeword) int64 {
	t := s.table[:len(c)] // callers check the length; this drops the bounds checks
	var sum int64
	for j, v := range c {
		sum += t[j][v]
	}
	return sum
}

package tardos

import (
	"math"
	"math/bits"
)

// The ledger's threshold, tightened: Bernstein's moment bound taken
// position by position (docs/tracing.md, "Fixed-point score"). An innocent
// copy's real score at a non-erased position is X_i = +h_i with
// probability q_i, −m_i otherwise: mean 0, variance 1, X_i ≤ h_i. For such
// a variable and 0 < λ < 3/h_i, ln E[e^{λX_i}] ≤ λ²/(2(1 − λh_i/3))
// (Bernstein's lemma: e^u − 1 − u ≤ u²/(2(1 − u/3)) for u < 3, and
// ln(1+x) ≤ x). The X_i are independent given the leak and the biases, so
// for every such λ
//
//	Pr[S ≥ Z] ≤ exp(λ²/2 · Σ_i 1/(1 − λh_i/3) − λZ),
//
// which is e^{−L} at Z(λ) = λ/2 · Σ_i 1/(1 − λh_i/3) + L/λ. Global
// Bernstein (fixedThreshold) is the same bound with every h_i replaced by
// the largest; keeping each position's own h_i is what tightens it, since
// the largest hit is rare. Everything is integer arithmetic rounded up, so
// every node gets the same Z and Z is at least the real-valued bound.

// lambdaBits: λ is searched on the grid l/2^lambdaBits.
const lambdaBits = 16

// Bounds that keep every intermediate in 64 bits: the denominator
// 3·2^(32+lambdaBits) − l·h (which is 3·2⁴⁸·(1 − λh/3)) at least
// 2^minDenBits, and l ≤ 2^22 (λ < 64).
const (
	minDenBits = 36
	maxL       = 1 << 22
)

// perPositionThreshold is min over the search below of Z(l), in Q32, for
// the hits h_i (Q32 upper bounds on each present position's positive
// score) and L = logInv (Q32), and the least l giving it; MaxInt64 when no
// position is present.
//
// Search (integer ternary search, specified so any implementation gets the
// same bits): lo = 1, hi = lmax = min(maxL, ⌊(3·2⁴⁸ − 2³⁶)/h_max⌋); while
// hi − lo > 2: m1 = lo + ⌊(hi−lo)/3⌋, m2 = hi − ⌊(hi−lo)/3⌋; if Z(m1) ≤
// Z(m2) then hi = m2, else lo = m1. The result is the least Z(l) for l in
// [lo, hi].
func perPositionThreshold(hits []uint64, logInv uint64) (int64, uint64) {
	if len(hits) == 0 {
		return math.MaxInt64, 0
	}
	var hmax uint64
	for _, h := range hits {
		hmax = max(hmax, h)
	}
	lmax := min(uint64(maxL), (3<<(32+lambdaBits)-1<<minDenBits)/hmax)
	if lmax < 1 {
		return math.MaxInt64, 0 // unreachable: FixedHits is at most about 2⁴⁸ (T = 1)
	}
	z := func(l uint64) uint64 { return zOf(hits, l, logInv) }
	lo, hi := uint64(1), lmax
	for hi-lo > 2 {
		third := (hi - lo) / 3
		m1, m2 := lo+third, hi-third
		if z(m1) <= z(m2) {
			hi = m2
		} else {
			lo = m1
		}
	}
	best, bestL := uint64(math.MaxUint64), uint64(0)
	for l := lo; l <= hi; l++ {
		if v := z(l); v < best {
			best, bestL = v, l
		}
	}
	if best > math.MaxInt64 {
		return math.MaxInt64, 0
	}
	return int64(best), bestL
}

// zOf is Z(λ) for λ = l/2^lambdaBits, in Q32, rounded up:
// ⌈l·Σ/2^(lambdaBits+1)⌉ + ⌈L·2^lambdaBits/l⌉ + present, where
// Σ = Σ_i ⌈3·2^(64+lambdaBits)/(3·2^(32+lambdaBits) − l·h_i)⌉ is
// Σ 1/(1 − λh_i/3) in Q32, and the final term is one unit per position for
// the floors in the fixed-point scores (as in fixedThreshold). It is
// MaxUint64 when it would overflow.
func zOf(hits []uint64, l, logInv uint64) uint64 {
	const three = 3 << (32 + lambdaBits)
	const numHi = 3 << lambdaBits // 3·2^(64+lambdaBits) as (hi, 0)
	var sum uint64
	for _, h := range hits {
		u := l * h // < 3·2^48: lmax bounds l·hmax
		q, r := bits.Div64(numHi, 0, three-u)
		if r != 0 {
			q++
		}
		sum += q // each q ≤ 3·2^44, at most 4096 of them
	}
	hi, lo := bits.Mul64(l, sum)
	const sh = lambdaBits + 1
	if hi>>sh != 0 {
		return math.MaxUint64
	}
	first := hi<<(64-sh) | lo>>sh
	if lo&(1<<sh-1) != 0 {
		first++
	}
	second := (logInv<<lambdaBits + l - 1) / l
	return first + second + uint64(len(hits))
}

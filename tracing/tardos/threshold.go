package tardos

import "math"

// chernoffThreshold is the accusation threshold from the exact Chernoff
// bound for this leak: an innocent copy's score S is a sum of independent
// per-position scores s_i, taking +hit_i with probability q_i and −miss_i
// otherwise (mean 0, variance 1), so for every λ > 0
//
//	Pr[S ≥ Z] ≤ exp(Σ ln E[exp(λ s_i)] − λZ),
//
// and Z(λ) = (Σ ln E[exp(λ s_i)] + logInv)/λ makes that bound exp(−logInv)
// = Eps1/N. Any λ gives a sound threshold; a golden-section search over
// ln λ finds the smallest (Z(λ) is unimodal: λ·f′ − f rises with λ for the
// convex f = Σ ln E[exp(λ s_i)]), so inexact search costs tightness, never
// soundness. It returns +Inf when no position is present.
func chernoffThreshold(pos []posScore, logInv float64) float64 {
	if len(pos) == 0 {
		return math.Inf(1)
	}
	z := func(lnLambda float64) float64 {
		l := math.Exp(lnLambda)
		var f float64
		for _, s := range pos {
			f += math.Log(s.q*math.Exp(l*s.hit) + (1-s.q)*math.Exp(-l*s.miss))
		}
		return (f + logInv) / l
	}
	// Start at the Gaussian optimum λ = √(2·logInv/σ²) and bracket the
	// minimum by doubling either way.
	mid := 0.5 * math.Log(2*logInv/float64(len(pos)))
	lo, hi := mid-math.Ln2, mid+math.Ln2
	for range 40 {
		if z(lo) > z(mid) {
			break
		}
		lo, mid = lo-math.Ln2, lo
	}
	for range 40 {
		if z(hi) > z(mid) {
			break
		}
		hi, mid = hi+math.Ln2, hi
	}
	const g = 0.6180339887498949
	a, b := lo, hi
	x1, x2 := b-g*(b-a), a+g*(b-a)
	z1, z2 := z(x1), z(x2)
	for range 50 {
		if z1 < z2 {
			b, x2, z2 = x2, x1, z1
			x1 = b - g*(b-a)
			z1 = z(x1)
		} else {
			a, x1, z1 = x1, x2, z2
			x2 = a + g*(b-a)
			z2 = z(x2)
		}
	}
	return min(z1, z2, z(mid))
}

// posScore is an innocent copy's score at one non-erased position: +hit
// with probability q (it holds the variant the leak shows), else −miss.
type posScore struct{ q, hit, miss float64 }

package custody

import (
	"fmt"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/share"
	"go.dedis.ch/kyber/v4/util/random"
)

// maxSubsets bounds the search for the consistent dealers: C(m, t_old)
// subsets are tried, which is small for the networks CometBFT runs (C(16,
// 6) = 8,008) and refused beyond this rather than left to run for hours.
const maxSubsets = 1 << 16

// reshareWeights are a checking node's random weights r_k, one per title
// key, and the weighted sums of each dealer's commitments: Σ_k r_k C_{i,k,c}.
// A relation true for every key holds for the sums; one false for some key
// holds for the sums with probability 1/q, q the group order.
type reshareWeights struct {
	r   []kyber.Scalar
	agg map[*TitleReshareDeal][]kyber.Point
}

func newReshareWeights(nk int) *reshareWeights {
	w := &reshareWeights{r: make([]kyber.Scalar, nk), agg: map[*TitleReshareDeal][]kyber.Point{}}
	stream := random.New()
	for k := range w.r {
		w.r[k] = suite.G1().Scalar().Pick(stream)
	}
	return w
}

// sum is Σ_k r_k C_{d,k,c}, computed once per dealer and coefficient.
func (w *reshareWeights) sum(d *TitleReshareDeal, c int) kyber.Point {
	if w.agg[d] == nil {
		w.agg[d] = make([]kyber.Point, d.NewT)
	}
	if p := w.agg[d][c]; p != nil {
		return p
	}
	g := suite.G1()
	acc, t := g.Point().Null(), g.Point()
	for k, r := range w.r {
		acc.Add(acc, t.Mul(r, d.commitsFor(k)[c]))
	}
	w.agg[d][c] = acc
	return acc
}

// consistent returns the dealers whose reshared shares lie on one
// polynomial of degree t_old−1 (in the exponent, through the weighted
// constant terms), naming each dealer off it. With exactly t_old dealers
// there is nothing to compare and all are returned.
func (w *reshareWeights) consistent(deals []*TitleReshareDeal, oldT int, bad *[]*NodeError) ([]*TitleReshareDeal, error) {
	m := len(deals)
	if m < oldT {
		return nil, fmt.Errorf("%w: %d good deals, need %d (the old threshold)", ErrReshare, m, oldT)
	}
	if m == oldT {
		return deals, nil
	}
	if binomial(m, oldT) > maxSubsets {
		return nil, fmt.Errorf("%w: %d dealers at t = %d are too many subsets to search", ErrReshare, m, oldT)
	}
	p := make([]kyber.Point, m)
	for i, d := range deals {
		p[i] = w.sum(d, 0)
	}
	var best []bool
	bestN, tie := 0, false
	forSubsets(m, oldT, func(b []int) {
		on := onPolynomial(deals, p, b)
		n := count(on)
		switch {
		case n > bestN:
			best, bestN, tie = on, n, false
		case n == bestN && !sameSet(on, best):
			tie = true
		}
	})
	if tie || bestN < oldT+1 {
		return nil, fmt.Errorf("%w: the dealers' reshared shares disagree and no %d of them agree on one polynomial alone: cannot tell which dealer is wrong", ErrReshare, oldT+1)
	}
	var out []*TitleReshareDeal
	for i, d := range deals {
		if best[i] {
			out = append(out, d)
			continue
		}
		*bad = append(*bad, &NodeError{Node: d.Dealer, Err: fmt.Errorf("%w: the share it reshared is off the polynomial the other %d dealers' shares lie on", ErrBadReshare, bestN)})
	}
	return out, nil
}

// onPolynomial marks the dealers whose point equals the interpolation, at
// their evaluation point, of the polynomial through the subset b.
func onPolynomial(deals []*TitleReshareDeal, p []kyber.Point, b []int) []bool {
	g := suite.G1()
	on := make([]bool, len(deals))
	for _, i := range b {
		on[i] = true
	}
	for l := range deals {
		if on[l] {
			continue
		}
		x := g.Scalar().SetInt64(int64(deals[l].Dealer + 1))
		acc, t := g.Point().Null(), g.Point()
		for _, bi := range b {
			num, den := g.Scalar().One(), g.Scalar().One()
			xb := g.Scalar().SetInt64(int64(deals[bi].Dealer + 1))
			for _, bc := range b {
				if bc == bi {
					continue
				}
				xc := g.Scalar().SetInt64(int64(deals[bc].Dealer + 1))
				num.Mul(num, g.Scalar().Sub(x, xc))
				den.Mul(den, g.Scalar().Sub(xb, xc))
			}
			acc.Add(acc, t.Mul(num.Div(num, den), p[bi]))
		}
		on[l] = acc.Equal(p[l])
	}
	return on
}

// checkValues checks new node j's values v from dealer d against d's
// commitments, batched; on failure it finds the first key that fails.
// It returns -1 when all match.
func (w *reshareWeights) checkValues(d *TitleReshareDeal, j int, v *TitleShares) int {
	g := suite.G1()
	lhs, s, y := g.Scalar().Zero(), g.Scalar(), g.Scalar()
	for k, r := range w.r {
		_ = y.UnmarshalBinary(v.y[k][:]) // canonical: checked when decoded
		lhs.Add(lhs, s.Mul(r, y))
	}
	left := g.Point().Mul(lhs, nil)
	lhs.Zero()
	x, xp := g.Scalar().SetInt64(int64(j+1)), g.Scalar().One()
	right, t := g.Point().Null(), g.Point()
	for c := 0; c < d.NewT; c++ {
		right.Add(right, t.Mul(xp, w.sum(d, c)))
		xp.Mul(xp, x)
	}
	if left.Equal(right) {
		return -1
	}
	for k := range w.r {
		_ = y.UnmarshalBinary(v.y[k][:])
		if !share.NewPubPoly(g, nil, d.commitsFor(k)).Check(&share.PriShare{I: uint32(j), V: y}) {
			y.Zero()
			return k
		}
	}
	y.Zero()
	return 0
}

// lagrangeAt0 is λ_i = Π_{m≠i} x_m/(x_m − x_i) over the dealers' points.
func lagrangeAt0(ds []*TitleReshareDeal) []kyber.Scalar {
	g := suite.G1()
	out := make([]kyber.Scalar, len(ds))
	for i, di := range ds {
		num, den := g.Scalar().One(), g.Scalar().One()
		xi := g.Scalar().SetInt64(int64(di.Dealer + 1))
		for m, dm := range ds {
			if m == i {
				continue
			}
			xm := g.Scalar().SetInt64(int64(dm.Dealer + 1))
			num.Mul(num, xm)
			den.Mul(den, g.Scalar().Sub(xm, xi))
		}
		out[i] = num.Div(num, den)
	}
	return out
}

// forSubsets calls f with every k-subset of 0..n-1 in lexicographic order.
func forSubsets(n, k int, f func([]int)) {
	b := make([]int, k)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == k {
			f(b)
			return
		}
		for i := start; i <= n-(k-depth); i++ {
			b[depth] = i
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
}

func binomial(n, k int) int {
	r := 1
	for i := 1; i <= k; i++ {
		r = r * (n - k + i) / i
		if r > maxSubsets {
			return r
		}
	}
	return r
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func sameSet(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

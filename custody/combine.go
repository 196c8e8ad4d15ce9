package custody

import (
	"fmt"
	"sort"

	"go.dedis.ch/kyber/v4"
)

// CopyKeys are the keys a station holds for one copy: K_0 and, per segment,
// the key of the variant its codeword selects (Variant[s] says which).
type CopyKeys struct {
	Base     [32]byte
	Segments [][32]byte
	Variant  []int // 0 = A, 1 = B
}

// Wipe clears the keys.
func (k *CopyKeys) Wipe() {
	clear(k.Base[:])
	for s := range k.Segments {
		clear(k.Segments[s][:])
	}
}

// CombineKeys is the station side of a release: it checks each node's
// release against that node's root (roots[i] from the manifest; n =
// len(roots)), keeps the first t valid ones from distinct nodes in node
// order, and interpolates K_0 and one key per segment. rejected names each
// node whose release failed (ErrBadShare); err wraps ErrNotEnoughShares when
// fewer than t releases are valid.
func CombineKeys(title Title, roots [][32]byte, t int, releases []*Release, cw Codeword) (keys *CopyKeys, rejected []*NodeError, err error) {
	const op = "custody.CombineKeys"
	if err := title.check(op); err != nil {
		return nil, nil, err
	}
	if err := CheckThreshold(len(roots), t); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	rs := append([]*Release(nil), releases...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Node < rs[j].Node })
	var good []*Release
	seen := map[int]bool{}
	for _, r := range rs {
		if len(good) == t {
			break
		}
		if seen[r.Node] {
			continue
		}
		if r.Node < 0 || r.Node >= len(roots) {
			rejected = append(rejected, &NodeError{Node: r.Node, Err: fmt.Errorf("%w: no such node", ErrBadShare)})
			continue
		}
		if err := VerifyRelease(title, roots[r.Node], r, cw); err != nil {
			rejected = append(rejected, &NodeError{Node: r.Node, Err: fmt.Errorf("%w", ErrBadShare)})
			continue
		}
		seen[r.Node] = true
		good = append(good, r)
	}
	if len(good) < t {
		return nil, rejected, fmt.Errorf("%s: %w", op,
			joinNodeErrors(fmt.Errorf("%w: %d valid releases from distinct nodes, need %d", ErrNotEnoughShares, len(good), t), rejected))
	}
	lambda := lagrangeAtZero(good)
	keys = &CopyKeys{Segments: make([][32]byte, title.Segments), Variant: make([]int, title.Segments)}
	keys.Base = interpolate(lambda, good, func(r *Release) []byte { return r.Base[:] })
	for s := 0; s < title.Segments; s++ {
		keys.Variant[s] = cw.Bit(s)
		keys.Segments[s] = interpolate(lambda, good, func(r *Release) []byte { return r.Selected[s][:] })
	}
	for _, l := range lambda {
		l.Zero()
	}
	return keys, rejected, nil
}

// lagrangeAtZero returns the Lagrange coefficients λ_i = Π_{j≠i} x_j/(x_j−x_i)
// at 0 for the releases' evaluation points x = node+1, computed once for all
// keys of the copy.
func lagrangeAtZero(rs []*Release) []kyber.Scalar {
	g := suite.G1()
	out := make([]kyber.Scalar, len(rs))
	num, den, xi, xj := g.Scalar(), g.Scalar(), g.Scalar(), g.Scalar()
	for i, ri := range rs {
		xi.SetInt64(int64(ri.Node) + 1)
		num.One()
		den.One()
		for j, rj := range rs {
			if i == j {
				continue
			}
			xj.SetInt64(int64(rj.Node) + 1)
			num.Mul(num, xj)
			den.Mul(den, g.Scalar().Sub(xj, xi))
		}
		out[i] = g.Scalar().Div(num, den)
	}
	return out
}

// interpolate returns the title key of Σ λ_i·y_i, wiping the intermediates.
func interpolate(lambda []kyber.Scalar, rs []*Release, y func(*Release) []byte) [32]byte {
	g := suite.G1()
	acc, yi := g.Scalar().Zero(), g.Scalar()
	for i, r := range rs {
		_ = yi.UnmarshalBinary(y(r)) // canonical: checked by UnmarshalRelease or made by a node
		acc.Add(acc, yi.Mul(yi, lambda[i]))
	}
	b, _ := acc.MarshalBinary()
	k := titleKey(b)
	clear(b)
	acc.Zero()
	yi.Zero()
	return k
}

package custody

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"go.dedis.ch/kyber/v4"
)

// titleReshareFixture is a title dealt by its issuer to nOld custody nodes
// (t = 2), each old node's DKG key and opened shares, and a resharing to
// the old nodes but drop, plus join fresh ones (t = 2).
type titleReshareFixture struct {
	title   Title
	dealt   *Dealt
	oldDKG  []*DKGKey
	old     []*TitleShares
	oldPriv []*ecdh.PrivateKey
	newPriv []*ecdh.PrivateKey
	cfg     TitleReshareConfig
}

func newTitleReshareFixture(tb testing.TB, segs, nOld int, drop []int, join int) *titleReshareFixture {
	tb.Helper()
	f := &titleReshareFixture{title: Title{ChainID: "chain", TitleID: "title-1", Segments: segs}}
	var oldPubs []*ecdh.PublicKey
	var oldNodes []kyber.Point
	for i := 0; i < nOld; i++ {
		k := x25519Key(tb)
		f.oldPriv = append(f.oldPriv, k)
		oldPubs = append(oldPubs, k.PublicKey())
		dk := NewDKGKey()
		f.oldDKG = append(f.oldDKG, dk)
		oldNodes = append(oldNodes, dk.public)
	}
	var err error
	if f.dealt, err = Deal(f.title, 2, oldPubs); err != nil {
		tb.Fatalf("Deal: %v", err)
	}
	for i, k := range f.oldPriv {
		ts, err := OpenShares(k, f.title, i, f.dealt.Blobs[i], f.dealt.Roots[i])
		if err != nil {
			tb.Fatal(err)
		}
		f.old = append(f.old, ts)
	}
	f.cfg = TitleReshareConfig{Title: f.title, OldNodes: oldNodes, OldThreshold: 2, NewThreshold: 2, Nonce: make([]byte, 32)}
	rand.Read(f.cfg.Nonce)
	dropped := map[int]bool{}
	for _, d := range drop {
		dropped[d] = true
	}
	for i, k := range f.oldPriv {
		if !dropped[i] {
			f.newPriv = append(f.newPriv, k)
		}
	}
	for j := 0; j < join; j++ {
		f.newPriv = append(f.newPriv, x25519Key(tb))
	}
	for _, k := range f.newPriv {
		f.cfg.NewCustody = append(f.cfg.NewCustody, k.PublicKey())
	}
	return f
}

func x25519Key(tb testing.TB) *ecdh.PrivateKey {
	tb.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// deals has every old node deal its shares (shares[i] replaces old node i's
// own when given).
func (f *titleReshareFixture) deals(tb testing.TB, shares map[int]*TitleShares) [][]byte {
	tb.Helper()
	var out [][]byte
	for i, k := range f.oldDKG {
		ts := f.old[i]
		if shares[i] != nil {
			ts = shares[i]
		}
		d, err := DealTitleReshare(f.cfg, k, ts)
		if err != nil {
			tb.Fatalf("DealTitleReshare(old node %d): %v", i, err)
		}
		out = append(out, d)
	}
	return out
}

// combineAll has every new node combine; it returns each node's result.
func (f *titleReshareFixture) combineAll(tb testing.TB, deals [][]byte) []*TitleReshared {
	tb.Helper()
	out := make([]*TitleReshared, len(f.newPriv))
	for j, k := range f.newPriv {
		r, err := CombineTitleReshare(f.cfg, j, k, deals)
		if err != nil {
			tb.Fatalf("CombineTitleReshare(new node %d): %v", j, err)
		}
		out[j] = r
	}
	return out
}

// checkKeys opens each new node's blob as a registration would, releases
// from the pair given and combines against the new roots: the keys must
// be the issuer's.
func (f *titleReshareFixture) checkKeys(tb testing.TB, res []*TitleReshared, pair ...int) {
	tb.Helper()
	roots := make([][32]byte, len(res))
	for j, r := range res {
		roots[j] = r.Root
	}
	cw := testCodeword(tb, f.title.Segments, 9)
	var rels []*Release
	for _, j := range pair {
		ts, err := OpenShares(f.newPriv[j], f.title, j, res[j].Blob, res[j].Root)
		if err != nil {
			tb.Fatalf("OpenShares(new node %d's resealed blob) = %v", j, err)
		}
		rel, err := ts.Release(f.title.TitleID, cw)
		if err != nil {
			tb.Fatal(err)
		}
		rels = append(rels, rel)
	}
	keys, rej, err := CombineKeys(f.title, roots, 2, rels, cw)
	if err != nil || len(rej) != 0 {
		tb.Fatalf("CombineKeys(new nodes %v, new roots) = %v, rejected %v", pair, err, rej)
	}
	if keys.Base != f.dealt.Keys.Base {
		tb.Errorf("K_0 from new nodes %v differs from the issuer's", pair)
	}
	for s := range keys.Segments {
		if keys.Segments[s] != f.dealt.Keys.Variants[s][cw.Bit(s)] {
			tb.Errorf("segment %d key from new nodes %v differs from the issuer's", s, pair)
		}
	}
}

// TestTitleReshare: 4 -> 5 and 5 -> 4 at t = 2: the new nodes' resealed
// blobs open as the issuer's do, and t new releases, the joining node's
// among them, combine against the new roots to the issuer's keys. A
// departed node's old release does not check against the new roots.
func TestTitleReshare(t *testing.T) {
	tests := []struct {
		name       string
		nOld, join int
		drop       []int
		pairs      [][]int
	}{
		{name: "4 to 5", nOld: 4, join: 1, pairs: [][]int{{0, 4}, {2, 3}, {4, 1}}},
		{name: "5 to 4", nOld: 5, drop: []int{2}, pairs: [][]int{{0, 3}, {1, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newTitleReshareFixture(t, 8, tc.nOld, tc.drop, tc.join)
			res := f.combineAll(t, f.deals(t, nil))
			for j, r := range res {
				if len(r.Rejected) != 0 || len(r.Dealers) != 2 || r.Dealers[0] != 0 || r.Dealers[1] != 1 {
					t.Errorf("new node %d: dealers %v, rejected %v; want [0 1] and none", j, r.Dealers, r.Rejected)
				}
			}
			for _, p := range tc.pairs {
				f.checkKeys(t, res, p...)
			}
			if len(tc.drop) > 0 {
				gone := tc.drop[0]
				cw := testCodeword(t, f.title.Segments, 9)
				rel, _ := f.old[gone].Release(f.title.TitleID, cw)
				rel.Node = gone // its old index, now another node's slot
				if err := VerifyRelease(f.title, res[gone].Root, rel, cw); !errors.Is(err, ErrBadShare) {
					t.Errorf("VerifyRelease(departed node's old shares, new root) = %v, want ErrBadShare", err)
				}
			}
		})
	}
}

// TestTitleReshareWrongDealer: an old node that reshares a wrong share of
// one key, consistently committed, is named by every new node (its
// constant term is off the line the three others lie on), and the others'
// deals still give the issuer's keys.
func TestTitleReshareWrongDealer(t *testing.T) {
	f := newTitleReshareFixture(t, 4, 4, nil, 1)
	wrong := cloneShares(f.old[1])
	wrong.y[3][31] ^= 1
	res := f.combineAll(t, f.deals(t, map[int]*TitleShares{1: wrong}))
	for j, r := range res {
		if len(r.Rejected) != 1 || r.Rejected[0].Node != 1 || !errors.Is(r.Rejected[0], ErrBadReshare) {
			t.Errorf("new node %d: rejected %v, want old node 1 with ErrBadReshare", j, r.Rejected)
		}
		if len(r.Dealers) != 2 || r.Dealers[0] != 0 || r.Dealers[1] != 2 {
			t.Errorf("new node %d: dealers %v, want [0 2]", j, r.Dealers)
		}
	}
	f.checkKeys(t, res, 0, 4)
	f.checkKeys(t, res, 1, 3)

	// With only t_old + 1 dealers the wrong one cannot be told apart.
	deals := f.deals(t, map[int]*TitleShares{1: wrong})[:3]
	if _, err := CombineTitleReshare(f.cfg, 0, f.newPriv[0], deals); !errors.Is(err, ErrReshare) {
		t.Errorf("CombineTitleReshare(3 dealers, one wrong) = %v, want ErrReshare", err)
	}
}

// TestTitleReshareTamperedValue: a dealer that seals new node 4 a value
// that does not match its commitments (a correctly signed deal) is named
// by node 4, which refuses to make a share; the other new nodes, whose
// values are right, combine. A deal altered in transit is dropped as
// unsigned and the rest still combine.
func TestTitleReshareTamperedValue(t *testing.T) {
	f := newTitleReshareFixture(t, 4, 4, nil, 1)
	deals := f.deals(t, nil)
	deals[0] = f.resealTampered(t, deals[0], 0, 4)
	_, err := CombineTitleReshare(f.cfg, 4, f.newPriv[4], deals)
	var ne *NodeError
	if !errors.Is(err, ErrBadReshare) || !errors.As(err, &ne) || ne.Node != 0 {
		t.Fatalf("CombineTitleReshare(node 4, tampered value from 0) = %v, want a NodeError naming 0 with ErrBadReshare", err)
	}
	if _, err := CombineTitleReshare(f.cfg, 1, f.newPriv[1], deals); err != nil {
		t.Errorf("CombineTitleReshare(node 1) = %v, want its values accepted", err)
	}

	// The same file twice is one deal; two different deals from one dealer
	// drop that dealer.
	deals = f.deals(t, nil)
	r, err := CombineTitleReshare(f.cfg, 4, f.newPriv[4], append(deals, deals[0]))
	if err != nil || len(r.Rejected) != 0 || r.Dealers[0] != 0 {
		t.Errorf("CombineTitleReshare(deal 0 twice) = %v, rejected %v, dealers %v; want it used once", err, r.Rejected, r.Dealers)
	}
	again, err := DealTitleReshare(f.cfg, f.oldDKG[0], f.old[0])
	if err != nil {
		t.Fatal(err)
	}
	r, err = CombineTitleReshare(f.cfg, 4, f.newPriv[4], append(deals, again))
	if err != nil || len(r.Rejected) != 1 || r.Rejected[0].Node != 0 || r.Dealers[0] != 1 {
		t.Errorf("CombineTitleReshare(two deals from 0) = %v, rejected %v, dealers %v; want 0 dropped", err, r.Rejected, r.Dealers)
	}

	deals = f.deals(t, nil)
	deals[2] = bytes.Clone(deals[2])
	deals[2][200] ^= 1
	r, err = CombineTitleReshare(f.cfg, 4, f.newPriv[4], deals)
	if err != nil || len(r.Rejected) != 1 || !errors.Is(r.Rejected[0], ErrBadBundle) {
		t.Fatalf("CombineTitleReshare(deal 2 altered) = %v, rejected %v; want deal 2 dropped as ErrBadBundle", err, r)
	}
}

// resealTampered is what a cheating dealer does: it flips a bit of one
// value for new node j and seals and signs the deal again.
func (f *titleReshareFixture) resealTampered(tb testing.TB, deal []byte, dealer, j int) []byte {
	tb.Helper()
	d, err := DecodeTitleReshareDeal(deal)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := f.cfg.openValues(d, j, f.newPriv[j], newReshareWeights(1+2*f.title.Segments))
	if err != nil {
		tb.Fatal(err)
	}
	v.y[2][31] ^= 1
	if d.Sealed[j], err = v.sealInfo(f.cfg.NewCustody[j], f.title.reshareInfo(dealer, j, f.cfg.Nonce)); err != nil {
		tb.Fatal(err)
	}
	signed, _ := d.encodeSigned()
	sig, err := dkgAuth.Sign(f.oldDKG[dealer].secret, signed)
	if err != nil {
		tb.Fatal(err)
	}
	return appendField(signed, sig)
}

func cloneShares(ts *TitleShares) *TitleShares {
	c := &TitleShares{Node: ts.Node, Segments: ts.Segments, y: make([][ScalarLen]byte, len(ts.y))}
	copy(c.y, ts.y)
	return c
}

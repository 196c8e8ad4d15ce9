package custody

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"go.dedis.ch/kyber/v4"
)

// reshareFixture is an old network (its keys and DKG results) and a new
// membership: the old nodes kept, in order, then the joining ones.
type reshareFixture struct {
	oldKeys []*DKGKey
	old     []*DKGResult
	rc      ReshareConfig
	parties []ReshareParty
	newOf   []int // newOf[p]: party p's index in the new set, -1 leaving
}

// newReshareFixture runs a DKG of nOld nodes (t = 2) and prepares a
// resharing to the old nodes without drop, plus join new nodes (t = 2).
func newReshareFixture(tb testing.TB, nOld int, drop []int, join int) *reshareFixture {
	tb.Helper()
	cc, keys := testCeremony(tb, nOld, 2)
	old, err := RunInProcess(cc, keys)
	if err != nil {
		tb.Fatalf("RunInProcess: %v", err)
	}
	f := &reshareFixture{oldKeys: keys, old: old}
	f.rc = ReshareConfig{OldNodes: cc.Nodes, OldGroup: old[0].Group, NewThreshold: 2, Nonce: make([]byte, 32)}
	rand.Read(f.rc.Nonce)
	dropped := map[int]bool{}
	for _, d := range drop {
		dropped[d] = true
	}
	for i, k := range keys {
		f.parties = append(f.parties, ReshareParty{Key: k, Share: old[i].Share})
		if dropped[i] {
			f.newOf = append(f.newOf, -1)
			continue
		}
		f.newOf = append(f.newOf, len(f.rc.NewNodes))
		f.rc.NewNodes = append(f.rc.NewNodes, k.public)
	}
	for j := 0; j < join; j++ {
		k := NewDKGKey()
		f.parties = append(f.parties, ReshareParty{Key: k})
		f.newOf = append(f.newOf, len(f.rc.NewNodes))
		f.rc.NewNodes = append(f.rc.NewNodes, k.public)
	}
	return f
}

// newShares orders the results by new index.
func (f *reshareFixture) newShares(tb testing.TB, res []*DKGResult) []*DKGResult {
	tb.Helper()
	out := make([]*DKGResult, len(f.rc.NewNodes))
	for p, r := range res {
		switch j := f.newOf[p]; {
		case j < 0 && r != nil:
			tb.Errorf("leaving party %d got a share", p)
		case j >= 0 && r != nil:
			if r.Share.Node != j {
				tb.Errorf("party %d: share index %d, want its new index %d", p, r.Share.Node, j)
			}
			out[j] = r
		}
	}
	return out
}

// TestReshareKeepsGroupKey: 4 -> 5 (one joins) and 5 -> 4 (one leaves),
// t = 2 before and after. The group key is unchanged, and t new shares,
// the joining node's among them, sign a label to the very signature t old
// shares make (BLS is unique), which verifies under the old X.
func TestReshareKeepsGroupKey(t *testing.T) {
	tests := []struct {
		name       string
		nOld, join int
		drop       []int
		signers    []int // new indices
	}{
		{name: "4 to 5", nOld: 4, join: 1, signers: []int{1, 4}},
		{name: "5 to 4", nOld: 5, drop: []int{2}, signers: []int{0, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newReshareFixture(t, tc.nOld, tc.drop, tc.join)
			res, err := RunReshareInProcess(f.rc, f.parties)
			if err != nil {
				t.Fatalf("RunReshareInProcess: %v", err)
			}
			nw := f.newShares(t, res)
			g := nw[0].Group
			if !g.Key().Equal(f.old[0].Group.Key()) || g.N() != len(f.rc.NewNodes) || g.T() != 2 {
				t.Fatalf("new group: key equal %v, n = %d, t = %d; want the old key, n = %d, t = 2",
					g.Key().Equal(f.old[0].Group.Key()), g.N(), g.T(), len(f.rc.NewNodes))
			}
			label := copyLabel(t, "j-reshare")
			oldSig, _, err := Combine(f.old[0].Group, label, partials(t, f.old, label, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			newSig, _, err := Combine(g, label, partials(t, nw, label, tc.signers...))
			if err != nil {
				t.Fatalf("Combine(new shares %v) = %v", tc.signers, err)
			}
			if newSig != oldSig {
				t.Errorf("signature from new shares differs from the old shares' one")
			}
			if err := Verify(f.old[0].Group.Key(), label, newSig); err != nil {
				t.Errorf("Verify(old X, new signature) = %v", err)
			}
			// An old share is not a share of the new polynomial.
			if len(tc.drop) > 0 {
				p, _ := PartialSign(f.old[tc.drop[0]].Share, label)
				p.Node = 0
				if err := VerifyPartial(g, label, p); !errors.Is(err, ErrBadPartial) {
					t.Errorf("VerifyPartial(departed node's old share, new group) = %v, want ErrBadPartial", err)
				}
			}
		})
	}
}

// TestReshareFaultyDealer: an old dealer whose deal is corrupted in
// transit draws complaints and is left out; the others still give every
// new node a share of the same key; the dealer itself stops. A deal file
// listed twice counts once (kyber would evict its dealer).
func TestReshareFaultyDealer(t *testing.T) {
	f := newReshareFixture(t, 4, nil, 1)
	res, errs := runReshare(f.rc, f.parties, func(p int, b []byte) [][]byte {
		switch p {
		case 0:
			return [][]byte{b, b} // listed twice: still one deal
		case 3:
			b = bytes.Clone(b)
			b[len(b)-200] ^= 1
		}
		return [][]byte{b}
	})
	if len(errs) != 1 || !errors.Is(errs[0], ErrDealRejected) {
		t.Fatalf("errors = %v, want party 3 alone to fail with ErrDealRejected", errs)
	}
	label := copyLabel(t, "j")
	want, _, _ := Combine(f.old[0].Group, label, partials(t, f.old, label, 0, 1))
	var got []*DKGResult
	for p, r := range res {
		if p != 3 && r == nil {
			t.Fatalf("party %d has no result", p)
		}
		if r != nil {
			got = append(got, r)
		}
	}
	sig, _, err := Combine(got[0].Group, label, []Partial{mustPartial(t, got[0].Share, label), mustPartial(t, got[3].Share, label)})
	if err != nil || sig != want {
		t.Errorf("Combine(new shares 0 and 4) = %v (equal %v), want the old signature", err, sig == want)
	}
}

func mustPartial(tb testing.TB, ks *KeyShare, label []byte) Partial {
	tb.Helper()
	p, err := PartialSign(ks, label)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestReshareConfigChecks: a wrong share, an outsider, a bad threshold and
// a short nonce are refused before anything is dealt.
func TestReshareConfigChecks(t *testing.T) {
	f := newReshareFixture(t, 4, nil, 1)
	tests := []struct {
		name  string
		edit  func(*ReshareConfig) (*DKGKey, *KeyShare)
		want  error
		party int
	}{
		{"share of another node", func(*ReshareConfig) (*DKGKey, *KeyShare) { return f.oldKeys[0], f.old[1].Share }, ErrReshare, 0},
		{"old node without share", func(*ReshareConfig) (*DKGKey, *KeyShare) { return f.oldKeys[0], nil }, ErrReshare, 0},
		{"outsider", func(*ReshareConfig) (*DKGKey, *KeyShare) { return NewDKGKey(), nil }, ErrReshare, 0},
		{"t = 1 of 5", func(rc *ReshareConfig) (*DKGKey, *KeyShare) { rc.NewThreshold = 1; return f.oldKeys[0], f.old[0].Share }, ErrThreshold, 0},
		{"short nonce", func(rc *ReshareConfig) (*DKGKey, *KeyShare) {
			rc.Nonce = rc.Nonce[:5]
			return f.oldKeys[0], f.old[0].Share
		}, ErrReshare, 0},
		{"old group of other size", func(rc *ReshareConfig) (*DKGKey, *KeyShare) {
			rc.OldNodes = append([]kyber.Point(nil), rc.OldNodes[:3]...)
			return f.oldKeys[0], f.old[0].Share
		}, ErrReshare, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := f.rc
			k, s := tc.edit(&rc)
			if _, err := NewReshare(rc, k, s); !errors.Is(err, tc.want) {
				t.Errorf("NewReshare = %v, want %v", err, tc.want)
			}
		})
	}
}

package keyservice

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/tracing/accuse"
	"copystation/validatord/contract"
)

// tracedNet is four custody nodes (t = 2) with their key services and
// custodians, and a title dealt to them with tracing parameters.
type tracedNet struct {
	cust  *contract.Custody
	group *custody.Group
	res   []*custody.DKGResult
	sv    []*Service
	cu    []*Custodian
	title *contract.Title
	deal  *custody.Dealt
}

func newTracedNet(t *testing.T, segs int) *tracedNet {
	t.Helper()
	n := &tracedNet{}
	var cks []*ecdh.PrivateKey
	n.cust, n.res, cks = fourNodes(t)
	n.group = n.res[0].Group
	for i, k := range cks {
		cu, err := NewCustodian(k.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		n.cu = append(n.cu, cu)
		n.sv = append(n.sv, New(Custody{ChainID: testChain, Share: n.res[i].Share, Group: n.res[i].Group}))
	}
	n.title = &contract.Title{ID: "film-t", Issuer: "issuer-x", Segments: make([]contract.Segment, segs),
		Tracing: &contract.TitleTracing{Copies: 10, Coalition: 3, Eps1: "0.01", Root: make([]byte, 32)}}
	n.deal = dealTitle(t, n.title, cks)
	return n
}

// sign is the group signature on label from nodes 0 and 1's shares.
func (n *tracedNet) sign(t *testing.T, label []byte) custody.Signature {
	t.Helper()
	var ps []custody.Partial
	for _, r := range n.res[:2] {
		p, err := custody.PartialSign(r.Share, label)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	sig, _, err := custody.Combine(n.group, label, ps)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestTardosRelease: node 2 combines σ_title from its own partial and node
// 0's, relayed sealed to it, and releases the shares of the copy's Tardos
// codeword — the one accuse.CopyCodeword gives from σ_title and σ_copy,
// not custody's uniform bits; the station combines two such releases
// without knowing the biases and learns that codeword; a release naming
// another codeword is rejected.
func TestTardosRelease(t *testing.T) {
	const segs = 61 // not a whole number of bytes: the codeword's padding bits
	n := newTracedNet(t, segs)
	tps, err := n.sv[0].TitlePartials(n.cu[0], n.cust, n.title)
	if err != nil {
		t.Fatal(err)
	}
	if len(tps) != 3 {
		t.Fatalf("TitlePartials = %d, want one per other custody node (3)", len(tps))
	}
	for _, tp := range tps {
		if tp.From != 0 || tp.To == 0 || len(tp.Sealed) != custody.TitlePartialSealedLen {
			t.Errorf("title partial %d->%d, %d bytes", tp.From, tp.To, len(tp.Sealed))
		}
	}
	tl, _ := custody.TracingLabel(testChain, n.title.ID)
	rec := custody.CopyRecord{ChainID: testChain, TitleID: n.title.ID, JobID: "job-1", TokenID: "tok-1", StationKeyID: "st-1"}
	label, _ := rec.Label()
	sigma := n.sign(t, label)
	bs, err := accuse.TitleBiases(n.group, testChain, n.title.ID, 3, segs, n.sign(t, tl))
	if err != nil {
		t.Fatal(err)
	}
	want, err := accuse.CopyCodeword(n.group, rec, bs, sigma)
	if err != nil {
		t.Fatal(err)
	}
	uniform, _ := custody.DeriveCodeword(sigma, segs)

	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	info := keys.Info{JobID: "job-1", MediaID: []byte("m")}
	var sealed []ledgerclient.SealedRelease
	for _, i := range []int{2, 1} {
		derive, err := n.sv[i].tardosDerive(n.cu[i], n.cust, n.group, n.title, tps)
		if err != nil {
			t.Fatalf("node %d: tardosDerive = %v", i, err)
		}
		s, err := n.cu[i].releaseShares(testChain, n.cust, n.group, n.title, n.deal.Blobs[i], label, sigma, st.PublicKey(), info, NoFault, derive)
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, ledgerclient.SealedRelease{Node: i, Info: info, Sealed: s})
	}
	m := &titlepkg.Manifest{TitleID: n.title.ID, Segments: make([]titlepkg.Segment, segs), ShareRoots: n.deal.Roots}
	k, cw, rejected, err := ledgerclient.CombineTracedReleases(st, testChain, m, 2, sealed)
	if err != nil || len(rejected) != 0 {
		t.Fatalf("CombineTracedReleases = %v, rejected %v", err, rejected)
	}
	k.Wipe()
	if !bytes.Equal(cw.Bytes(), want) {
		t.Errorf("released codeword = %x, want the Tardos codeword %x", cw.Bytes(), want)
	}
	if cw.Equal(uniform) {
		t.Errorf("released codeword is custody's uniform bits, not the Tardos codeword")
	}
	// The station holding the uniform codeword (as for a title without
	// tracing) refuses both releases: each names the Tardos one.
	if _, rej, err := ledgerclient.CombineReleases(st, testChain, m, 2, uniform, sealed); !errors.Is(err, custody.ErrNotEnoughShares) || len(rej) != 2 {
		t.Errorf("CombineReleases(uniform codeword) = %v, rejected %d; want ErrNotEnoughShares and both named", err, len(rej))
	}
	// A third node releasing for another codeword is named; the two that
	// agree still give the keys.
	other, _ := n.cu[3].releaseShares(testChain, n.cust, n.group, n.title, n.deal.Blobs[3], label, sigma, st.PublicKey(), info, NoFault, nil)
	k, cw, rejected, err = ledgerclient.CombineTracedReleases(st, testChain, m, 2, append(sealed, ledgerclient.SealedRelease{Node: 3, Info: info, Sealed: other}))
	if err != nil || len(rejected) != 1 || !bytes.Equal(cw.Bytes(), want) {
		t.Errorf("CombineTracedReleases(node 3 on another codeword) = %v, rejected %v, codeword %x", err, rejected, cw.Bytes())
	} else {
		k.Wipe()
	}
}

// TestTitlePartialRefusals: a node with too few valid title partials
// derives nothing (ErrTitlePartials): none relayed, one sealed to another
// node, one from a node's wrong share; once combined, the title's biases
// are kept and later copies need none.
func TestTitlePartialRefusals(t *testing.T) {
	n := newTracedNet(t, 13)
	tps, err := n.sv[0].TitlePartials(n.cu[0], n.cust, n.title)
	if err != nil {
		t.Fatal(err)
	}
	to := func(i int) []TitlePartial {
		for _, tp := range tps {
			if tp.To == i {
				return []TitlePartial{tp}
			}
		}
		return nil
	}
	misrouted := to(2)
	misrouted[0].To = 3
	// node 1 signs with node 2's share: a well-formed partial that fails
	// node 1's public share
	wrong := New(Custody{ChainID: testChain, Share: n.res[2].Share, Group: n.group})
	wtps, err := wrong.TitlePartials(n.cu[1], n.cust, n.title)
	if err != nil {
		t.Fatal(err)
	}
	var wrongTo3 []TitlePartial
	for _, tp := range wtps {
		if tp.To == 3 {
			wrongTo3 = append(wrongTo3, tp)
		}
	}
	tests := []struct {
		name string
		ps   []TitlePartial
	}{
		{"none relayed", nil},
		{"sealed to another node", misrouted},
		{"a partial from the wrong share", wrongTo3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := n.sv[3].tardosDerive(n.cu[3], n.cust, n.group, n.title, tc.ps); !errors.Is(err, ErrTitlePartials) {
				t.Errorf("tardosDerive = %v, want ErrTitlePartials", err)
			}
		})
	}
	if _, err := n.sv[3].tardosDerive(n.cu[3], n.cust, n.group, n.title, to(3)); err != nil {
		t.Fatalf("tardosDerive(node 0's partial) = %v", err)
	}
	if _, err := n.sv[3].tardosDerive(n.cu[3], n.cust, n.group, n.title, nil); err != nil {
		t.Errorf("tardosDerive(none, biases kept) = %v", err)
	}
	untraced := *n.title
	untraced.Tracing = nil
	if got, err := n.sv[0].TitlePartials(n.cu[0], n.cust, &untraced); err != nil || got != nil {
		t.Errorf("TitlePartials(title without tracing) = %v, %v; want none", got, err)
	}
}

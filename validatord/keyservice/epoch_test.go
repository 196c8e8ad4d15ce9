package keyservice

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/keys"
	"copystation/validatord/contract"
)

// epochFix is four genesis nodes (DKG keys, ceremony shares, custody keys)
// and a fifth joining, a three-segment title dealt to the four, and the
// ledger as contract.App serves it.
type epochFix struct {
	dkg    []*custody.DKGKey
	pts    []kyber.Point
	privs  []*ecdh.PrivateKey
	custs  []*Custodian
	shares map[uint32][]*custody.KeyShare // by epoch, in that epoch's order
	order  map[uint32][]int               // by epoch: party of each index
	groups map[uint32]*custody.Group
	title  *contract.Title
	ct     custody.Title
	want   *custody.TitleKeys
	src    *ledgerShares
	st     *contract.Station
	ka     *ecdh.PrivateKey
}

func newEpochFix(t *testing.T) *epochFix {
	t.Helper()
	f := &epochFix{shares: map[uint32][]*custody.KeyShare{}, order: map[uint32][]int{0: {0, 1, 2, 3}}, groups: map[uint32]*custody.Group{}}
	for range 5 {
		k := custody.NewDKGKey()
		p, _ := custody.ParseDKGPublic(k.Public())
		x, _ := ecdh.X25519().GenerateKey(rand.Reader)
		cu, err := NewCustodian(x.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		f.dkg, f.pts, f.privs, f.custs = append(f.dkg, k), append(f.pts, p), append(f.privs, x), append(f.custs, cu)
	}
	res, err := custody.RunInProcess(custody.CeremonyConfig{Threshold: 2, Nodes: f.pts[:4], Nonce: nonce32()}, f.dkg[:4])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		f.shares[0] = append(f.shares[0], r.Share)
	}
	f.groups[0] = res[0].Group
	gb, _ := res[0].Group.MarshalBinary()
	f.src = &ledgerShares{cust: &contract.Custody{Threshold: 2, Group: gb, Nodes: f.nodes(0)}, blobs: map[string][][]byte{}, epochBlobs: map[string][][]byte{}}
	f.title = &contract.Title{ID: "film-e", Issuer: "issuer-x", Formats: []keys.FormatMetadata{{Profile: 0x41, Layers: 1}}, Segments: make([]contract.Segment, 3)}
	f.ct = TitleOf("test-chain", f.title)
	var pubs []*ecdh.PublicKey
	for _, p := range f.order[0] {
		pubs = append(pubs, f.privs[p].PublicKey())
	}
	d, err := custody.Deal(f.ct, 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	f.want = d.Keys
	t.Cleanup(f.want.Wipe)
	for _, r := range d.Roots {
		f.title.ShareRoots = append(f.title.ShareRoots, bytes.Clone(r[:]))
	}
	f.src.blobs["film-e"] = d.Blobs
	f.ka, _ = ecdh.P256().GenerateKey(rand.Reader)
	f.st = &contract.Station{ID: "st", KeyAgreementKey: f.ka.PublicKey().Bytes()}
	return f
}

func nonce32() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func (f *epochFix) nodes(e uint32) []contract.CustodyNode {
	var out []contract.CustodyNode
	for _, p := range f.order[e] {
		out = append(out, contract.CustodyNode{Name: fmt.Sprint("node", p), CustodyKey: f.privs[p].PublicKey().Bytes(), DKGKey: f.dkg[p].Public()})
	}
	return out
}

// reshare runs epoch e from e-1 to the parties in order: the group secret
// and the title, the record signed by the first two new nodes, committed
// on the ledger as TxCustodyEpoch would.
func (f *epochFix) reshare(t *testing.T, e uint32, order []int) {
	t.Helper()
	old := f.order[e-1]
	var oldPts, newPts []kyber.Point
	for _, p := range old {
		oldPts = append(oldPts, f.pts[p])
	}
	var newPubs []*ecdh.PublicKey
	for _, p := range order {
		newPts, newPubs = append(newPts, f.pts[p]), append(newPubs, f.privs[p].PublicKey())
	}
	rc := custody.ReshareConfig{OldNodes: oldPts, NewNodes: newPts, OldGroup: f.groups[e-1], NewThreshold: 2, Nonce: nonce32()}
	parties, idx := []custody.ReshareParty{}, []int{}
	for i, p := range old {
		parties, idx = append(parties, custody.ReshareParty{Key: f.dkg[p], Share: f.shares[e-1][i]}), append(idx, p)
	}
	for _, p := range order {
		if indexIn(old, p) < 0 {
			parties, idx = append(parties, custody.ReshareParty{Key: f.dkg[p]}), append(idx, p)
		}
	}
	res, err := custody.RunReshareInProcess(rc, parties)
	if err != nil {
		t.Fatal(err)
	}
	f.order[e], f.shares[e] = order, make([]*custody.KeyShare, len(order))
	for k, r := range res {
		if r != nil {
			f.shares[e][indexIn(order, idx[k])] = r.Share
			f.groups[e] = r.Group
		}
	}
	// The title: each old node deals from its blob of epoch e-1.
	tc := custody.TitleReshareConfig{Title: f.ct, OldNodes: oldPts, OldThreshold: 2, NewCustody: newPubs, NewThreshold: 2, Nonce: nonce32()}
	roots, blobs := f.title.ShareRoots, f.src.blobs["film-e"]
	if e > 1 {
		blobs = f.src.epochBlobs[fmt.Sprint("film-e/", e-1)]
		r, _ := custody.UnmarshalEpochRecord(f.src.epoch.Record)
		rs, _ := r.Roots("film-e")
		roots = nil
		for _, x := range rs {
			roots = append(roots, bytes.Clone(x[:]))
		}
	}
	var deals [][]byte
	for i, p := range old {
		ts, err := custody.OpenShares(f.privs[p], f.ct, i, blobs[i], [32]byte(roots[i]))
		if err != nil {
			t.Fatal(err)
		}
		dl, err := custody.DealTitleReshare(tc, f.dkg[p], ts)
		ts.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		deals = append(deals, dl)
	}
	rec := &custody.EpochRecord{ChainID: "test-chain", Epoch: e, Group: f.groups[e], Titles: []custody.EpochTitle{{TitleID: "film-e"}}}
	var newBlobs [][]byte
	for j, p := range order {
		tr, err := custody.CombineTitleReshare(tc, j, f.privs[p], deals)
		if err != nil {
			t.Fatal(err)
		}
		tr.Shares.Wipe()
		newBlobs = append(newBlobs, tr.Blob)
		rec.Titles[0].Roots = append(rec.Titles[0].Roots, tr.Root)
	}
	enc, _ := rec.MarshalBinary()
	gb, _ := f.groups[e].MarshalBinary()
	f.src.epochBlobs[fmt.Sprint("film-e/", e)] = newBlobs
	f.src.epoch = &contract.CustodyEpoch{Epoch: e, Record: enc, Custody: contract.Custody{Threshold: 2, Group: gb, Nodes: f.nodes(e)}}
}

func indexIn(s []int, p int) int {
	for i, x := range s {
		if x == p {
			return i
		}
	}
	return -1
}

// service is party p's key service holding its shares of every epoch it
// was in up to e, following the ledger.
func (f *epochFix) service(p int, upTo uint32) *Service {
	c := Custody{ChainID: "test-chain", Epochs: map[uint32]*custody.KeyShare{}}
	if i := indexIn(f.order[0], p); i >= 0 {
		c.Share, c.Group = f.shares[0][i], f.groups[0]
	}
	for e := uint32(1); e <= upTo; e++ {
		if i := indexIn(f.order[e], p); i >= 0 {
			c.Epochs[e] = f.shares[e][i]
		}
	}
	s := New(c)
	s.Follow(f.src)
	return s
}

// copyOf is a pending copy of the title.
func copyOf(job string) *contract.Copy {
	return &contract.Copy{JobID: job, Title: "film-e", Token: "tok-" + job, Station: "st", Profile: 0x41,
		Attempts: []contract.Attempt{{MediaID: []byte("m1"), Outcome: contract.OutcomePending}}}
}

// copyThrough makes a copy through parties a and b (round 1 and 2, as the
// station does: partials verified against the group of epoch e, releases
// combined against that epoch's roots) and checks the keys are the
// issuer's.
func (f *epochFix) copyThrough(t *testing.T, e uint32, job string, sa, sb *Service, pa, pb int) {
	t.Helper()
	c := copyOf(job)
	label, _ := sa.Label(c)
	var ps []custody.Partial
	for _, s := range []*Service{sa, sb} {
		sealed, _, err := s.Partial(f.title, f.st, c, info1, nil)
		if err != nil {
			t.Fatalf("epoch %d: Partial() = %v", e, err)
		}
		b, _, _ := keys.OpenPartial(f.ka, info1, sealed)
		p, _ := custody.UnmarshalPartial(b)
		if err := custody.VerifyPartial(f.groups[e], label, p); err != nil {
			t.Fatalf("epoch %d: partial of node %d does not verify under the epoch's group: %v", e, p.Node, err)
		}
		ps = append(ps, p)
	}
	sig, _, err := custody.Combine(f.groups[e], label, ps)
	if err != nil {
		t.Fatal(err)
	}
	if err := custody.Verify(f.groups[0].Key(), label, sig); err != nil {
		t.Fatalf("epoch %d: σ_copy under the genesis X: %v", e, err)
	}
	var rels []*custody.Release
	for i, s := range []*Service{sa, sb} {
		if _, err := s.CheckSigma(c, sig[:]); err != nil {
			t.Fatal(err)
		}
		sealed, _, err := s.ReleaseShares(f.custs[[]int{pa, pb}[i]], f.src, f.title, f.st, c, info1, sig, nil)
		if err != nil {
			t.Fatalf("epoch %d: ReleaseShares(party %d) = %v", e, []int{pa, pb}[i], err)
		}
		body, _ := keys.OpenRelease(f.ka, info1, sealed)
		r, err := custody.UnmarshalRelease(body)
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	roots := make([][32]byte, len(f.title.ShareRoots))
	for i, r := range f.title.ShareRoots {
		roots[i] = [32]byte(r)
	}
	if e > 0 {
		rec, _ := custody.UnmarshalEpochRecord(f.src.epoch.Record)
		roots, _ = rec.Roots("film-e")
	}
	cw, _ := custody.DeriveCodeword(sig, 3)
	k, rejected, err := custody.CombineKeys(f.ct, roots, 2, rels, cw)
	if err != nil || len(rejected) != 0 {
		t.Fatalf("epoch %d: CombineKeys() = %v, rejected %v", e, err, rejected)
	}
	if k.Base != f.want.Base || k.Segments[2] != f.want.Variants[2][cw.Bit(2)] {
		t.Fatalf("epoch %d: keys differ from the issuer's", e)
	}
}

// TestEpochRelease: at epoch 0 a node follows the ledger and releases as
// before, and the joining node (no ceremony share) has no custody. Once
// epoch 1 (4 -> 5) commits, a copy goes through the joined node and an
// old one with their epoch 1 shares, blobs and the record's roots, same
// key X; an old node whose vault lacks its epoch 1 share is refused
// (ErrNotInEpoch). Epoch 2 (5 -> 4, node 2 out): copies go through the
// four, and the departed node's release is refused.
func TestEpochRelease(t *testing.T) {
	f := newEpochFix(t)
	f.copyThrough(t, 0, "j0", f.service(0, 0), f.service(3, 0), 0, 3)
	if _, _, err := f.service(4, 0).Partial(f.title, f.st, copyOf("j0"), info1, nil); !errors.Is(err, ErrNoCustody) {
		t.Fatalf("joined node at epoch 0: Partial() = %v, want ErrNoCustody", err)
	}

	f.reshare(t, 1, []int{0, 1, 2, 3, 4})
	f.copyThrough(t, 1, "j1", f.service(4, 1), f.service(1, 1), 4, 1)
	stale := f.service(2, 0) // its vault has no epoch 1 share
	if _, _, err := stale.Partial(f.title, f.st, copyOf("j1"), info1, nil); !errors.Is(err, ErrNotInEpoch) {
		t.Fatalf("old node without its epoch 1 share: Partial() = %v, want ErrNotInEpoch", err)
	}

	f.reshare(t, 2, []int{0, 1, 3, 4})
	f.copyThrough(t, 2, "j2", f.service(4, 2), f.service(0, 2), 4, 0)
	gone := f.service(2, 2)
	c := copyOf("j2")
	for name, err := range map[string]error{
		"Partial": func() error { _, _, err := gone.Partial(f.title, f.st, c, info1, nil); return err }(),
		"ReleaseShares": func() error {
			_, _, err := gone.ReleaseShares(f.custs[2], f.src, f.title, f.st, c, info1, custody.Signature{}, nil)
			return err
		}(),
	} {
		if !errors.Is(err, ErrNotInEpoch) {
			t.Errorf("departed node at epoch 2: %s() = %v, want ErrNotInEpoch", name, err)
		}
	}
}

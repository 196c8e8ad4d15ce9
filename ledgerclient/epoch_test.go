package ledgerclient

import (
	"crypto/rand"
	"errors"
	"testing"

	"go.dedis.ch/kyber/v4"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/protocol"
)

// reshared runs a real DKG of 4 and a resharing to 5, and returns the
// genesis group and epoch 1's record (one title's roots) signed by new
// nodes 1 and 4.
func reshared(t *testing.T) (genesis []byte, ep *protocol.EpochMsg, rec *custody.EpochRecord) {
	t.Helper()
	var ks []*custody.DKGKey
	var pts []kyber.Point
	for range 5 {
		k := custody.NewDKGKey()
		p, _ := custody.ParseDKGPublic(k.Public())
		ks, pts = append(ks, k), append(pts, p)
	}
	nonce := func() []byte { b := make([]byte, 32); rand.Read(b); return b }
	old, err := custody.RunInProcess(custody.CeremonyConfig{Nodes: pts[:4], Threshold: 2, Nonce: nonce()}, ks[:4])
	if err != nil {
		t.Fatal(err)
	}
	var parties []custody.ReshareParty
	for i, k := range ks {
		p := custody.ReshareParty{Key: k}
		if i < 4 {
			p.Share = old[i].Share
		}
		parties = append(parties, p)
	}
	res, err := custody.RunReshareInProcess(custody.ReshareConfig{OldNodes: pts[:4], NewNodes: pts, OldGroup: old[0].Group, NewThreshold: 3, Nonce: nonce()}, parties)
	if err != nil {
		t.Fatal(err)
	}
	rec = &custody.EpochRecord{ChainID: "chain", Epoch: 1, Group: res[0].Group, Titles: []custody.EpochTitle{{TitleID: "film-1", Roots: make([][32]byte, 5)}}}
	rec.Titles[0].Roots[4][0] = 0x44
	enc, _ := rec.MarshalBinary()
	label, _ := rec.Label()
	var ps []custody.Partial
	for _, j := range []int{1, 4, 2} {
		p, _ := custody.PartialSign(res[j].Share, label)
		ps = append(ps, p)
	}
	sig, _, err := custody.Combine(res[0].Group, label, ps)
	if err != nil {
		t.Fatal(err)
	}
	genesis, _ = old[0].Group.MarshalBinary()
	return genesis, &protocol.EpochMsg{Record: enc, Sig: sig[:]}, rec
}

// TestAcceptEpoch: a station that pinned the genesis group takes epoch 1
// from a node's Epoch message, and then checks partials against the new
// group (threshold 3 of 5) and a title's releases against the record's
// roots; a record not signed under the pinned X, or for another chain, is
// refused (ErrBadEpoch) and the station keeps what it held; the same
// record again is nothing new.
func TestAcceptEpoch(t *testing.T) {
	gen, ep, rec := reshared(t)
	cfg := testConfig(t)
	cfg.Group = gen
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := &titlepkg.Manifest{TitleID: "film-1", ShareRoots: make([][32]byte, 4)}
	other := &titlepkg.Manifest{TitleID: "film-2", ShareRoots: make([][32]byte, 5)}

	_, foreign, _ := reshared(t) // another network's record, signed under its own X
	bad := []struct {
		name  string
		chain string
		msg   *protocol.EpochMsg
	}{
		{"signed under another X", "chain", foreign},
		{"another chain", "other", ep},
		{"signature changed", "chain", &protocol.EpochMsg{Record: ep.Record, Sig: foreign.Sig}},
		{"short signature", "chain", &protocol.EpochMsg{Record: ep.Record, Sig: ep.Sig[:10]}},
	}
	for _, tc := range bad {
		if err := c.acceptEpoch(tc.chain, tc.msg); !errors.Is(err, ErrBadEpoch) {
			t.Errorf("%s: acceptEpoch = %v, want ErrBadEpoch", tc.name, err)
		}
		if c.Epoch() != 0 || c.curGroup().T() != 2 || c.manifestAt(m) != m {
			t.Fatalf("%s: the station left the pinned group", tc.name)
		}
	}
	if err := c.acceptEpoch("chain", ep); err != nil {
		t.Fatalf("acceptEpoch(epoch 1) = %v", err)
	}
	if c.Epoch() != 1 || !c.curGroup().Equal(rec.Group) || c.curGroup().T() != 3 {
		t.Fatalf("after epoch 1: epoch %d, threshold %d; want 1 and the record's group", c.Epoch(), c.curGroup().T())
	}
	if got := c.manifestAt(m); len(got.ShareRoots) != 5 || got.ShareRoots[4][0] != 0x44 || len(m.ShareRoots) != 4 {
		t.Fatalf("manifestAt(film-1) = %d roots; want the record's 5, the manifest unchanged", len(got.ShareRoots))
	}
	if got := c.manifestAt(other); got != other {
		t.Fatal("a title the record does not name lost its manifest's roots")
	}
	if err := c.acceptEpoch("chain", ep); err != nil || c.Epoch() != 1 {
		t.Fatalf("the same record again: %v, epoch %d", err, c.Epoch())
	}
}

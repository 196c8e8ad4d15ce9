package contract

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"slices"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/protocol"
)

// epochCodes are the refusals TestCustodyEpoch expects.
var epochCodes = []Code{CodeBadEpochSignature, CodeStaleEpoch, CodeEpochMembership, CodeEpochTitle}

// epochNet is four genesis validators whose custody group comes from a
// real DKG, one dealt title, a fifth validator voted in with its DKG and
// custody keys in its descriptor, and a real resharing 4 -> 5 of the group
// and the title, from which epoch 1's record is signed by new nodes 1 and 4.
type epochNet struct {
	*valNet
	issuer *party
	dkg    []*custody.DKGKey // 0-3 genesis, 4 joined
	privs  []*ecdh.PrivateKey
	nodes  []CustodyNode
	title  Title
	shares [][]byte // epoch 1 blobs of the title, new order
	body   CustodyEpochBody
	newRes []*custody.DKGResult
}

func newEpochNet(t *testing.T) *epochNet {
	t.Helper()
	n := &epochNet{valNet: newValNet(t), issuer: newParty(t)}
	for range 5 {
		n.dkg = append(n.dkg, custody.NewDKGKey())
		k, _ := ecdh.X25519().GenerateKey(rand.Reader)
		n.privs = append(n.privs, k)
		n.nodes = append(n.nodes, CustodyNode{Name: "n", CustodyKey: k.PublicKey().Bytes(), DKGKey: n.dkg[len(n.dkg)-1].Public()})
	}
	pts := make([]kyber.Point, 5)
	for i, k := range n.dkg {
		pts[i], _ = custody.ParseDKGPublic(k.Public())
	}
	cc := custody.CeremonyConfig{Threshold: 2, Nodes: pts[:4], Nonce: nonce()}
	old, err := custody.RunInProcess(cc, n.dkg[:4])
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := old[0].Group.MarshalBinary()
	// The chain again, with custody and an issuer in its genesis.
	g := n.gen
	g.Custody = &Custody{Threshold: 2, Group: gb, Nodes: n.nodes[:4]}
	g.Issuers = []Issuer{{Key: n.issuer.pub, Name: "Studio"}}
	app, err := New(dbm.NewMemDB(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var updates []abci.ValidatorUpdate
	for _, v := range g.Validators {
		updates = append(updates, abci.ValidatorUpdate{Power: 10, PubKeyType: ed25519.KeyType, PubKeyBytes: v.PubKey})
	}
	js, _ := json.Marshal(g)
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: js, Validators: updates}); err != nil {
		t.Fatal(err)
	}
	n.chain = &chain{t: t, app: app, db: app.db, now: time.Unix(1_800_000_000, 0), nonces: map[string]uint64{}, gen: g, chainID: testChain}

	// A dealt title of two segments.
	n.title = testTitle("film-e")
	n.title.Segments = n.title.Segments[:2]
	ct := custody.Title{ChainID: testChain, TitleID: "film-e", Segments: 2}
	var pubs []*ecdh.PublicKey
	for _, k := range n.privs[:4] {
		pubs = append(pubs, k.PublicKey())
	}
	d, err := custody.Deal(ct, 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	d.Keys.Wipe()
	for _, r := range d.Roots {
		n.title.ShareRoots = append(n.title.ShareRoots, bytes.Clone(r[:]))
	}
	if got := n.run(n.gov(n.issuer, TxRegisterTitle, RegisterTitleBody{Title: n.title, Shares: d.Blobs})); got != OK {
		t.Fatalf("register title: %s", got.Name())
	}

	// The fifth validator, its keys in its descriptor, voted in.
	add := ProposeValidatorBody{ID: "join-5", Kind: ProposeAdd, PubKey: ed25519.GenPrivKey().PubKey().Bytes(), Power: 10, Operator: newParty(t).pub,
		Descriptor: NodeDescriptor{Moniker: "node4", CustodyKey: n.nodes[4].CustodyKey, DKGKey: n.nodes[4].DKGKey}}
	for i, op := range n.ops[:3] {
		typ, body := TxVoteValidator, any(VoteValidatorBody{ID: "join-5"})
		if i == 0 {
			typ, body = TxProposeValidator, add
		}
		if got := n.run(n.gov(op, typ, body)); got != OK {
			t.Fatalf("vote %d: %s", i, got.Name())
		}
	}

	// Resharing 4 -> 5: the group secret, then the title.
	rc := custody.ReshareConfig{OldNodes: pts[:4], NewNodes: pts, OldGroup: old[0].Group, NewThreshold: 2, Nonce: nonce()}
	var parties []custody.ReshareParty
	for i, k := range n.dkg {
		p := custody.ReshareParty{Key: k}
		if i < 4 {
			p.Share = old[i].Share
		}
		parties = append(parties, p)
	}
	if n.newRes, err = custody.RunReshareInProcess(rc, parties); err != nil {
		t.Fatal(err)
	}
	var newPubs []*ecdh.PublicKey
	for _, k := range n.privs {
		newPubs = append(newPubs, k.PublicKey())
	}
	tc := custody.TitleReshareConfig{Title: ct, OldNodes: pts[:4], OldThreshold: 2, NewCustody: newPubs, NewThreshold: 2, Nonce: nonce()}
	var deals [][]byte
	for i := range 4 {
		ts, err := custody.OpenShares(n.privs[i], ct, i, d.Blobs[i], d.Roots[i])
		if err != nil {
			t.Fatal(err)
		}
		dl, err := custody.DealTitleReshare(tc, n.dkg[i], ts)
		ts.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		deals = append(deals, dl)
	}
	rec := &custody.EpochRecord{ChainID: testChain, Epoch: 1, Group: n.newRes[0].Group, Titles: []custody.EpochTitle{{TitleID: "film-e"}}}
	for j := range 5 {
		tr, err := custody.CombineTitleReshare(tc, j, n.privs[j], deals)
		if err != nil {
			t.Fatal(err)
		}
		tr.Shares.Wipe()
		n.shares = append(n.shares, tr.Blob)
		rec.Titles[0].Roots = append(rec.Titles[0].Roots, tr.Root)
	}
	n.body = n.signed(t, rec, 1, 4)
	n.body.Titles = []EpochTitleShares{{Title: "film-e", Shares: n.shares}}
	return n
}

func nonce() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// signed is the final part for rec, signed by new nodes a and b.
func (n *epochNet) signed(t *testing.T, rec *custody.EpochRecord, a, b int) CustodyEpochBody {
	t.Helper()
	enc, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	label, _ := rec.Label()
	var ps []custody.Partial
	for _, j := range []int{a, b} {
		p, err := custody.PartialSign(n.newRes[j].Share, label)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	sig, _, err := custody.Combine(rec.Group, label, ps)
	if err != nil {
		t.Fatal(err)
	}
	return CustodyEpochBody{Epoch: rec.Epoch, Record: enc, Sig: sig[:], Nodes: append([]CustodyNode(nil), n.nodes...)}
}

// TestCustodyEpoch: epoch 1 after 4 -> 5 commits in two parts (the
// title's shares, then the record), and from then on the custody in force
// is the new set and group (same key), the title's epoch 1 blobs are
// served, and a title registered after is dealt to the five. Each refusal
// code is given by a body changed in one way, and leaves epoch 0 in force.
func TestCustodyEpoch(t *testing.T) {
	n := newEpochNet(t)
	other := newEpochNet(t) // another network: its record is signed under another X
	refusals := []struct {
		name string
		edit func(b *CustodyEpochBody)
		want Code
	}{
		{"signature of another label", func(b *CustodyEpochBody) { b.Sig = other.body.Sig }, CodeBadEpochSignature},
		{"another network's group", func(b *CustodyEpochBody) { b.Record, b.Sig = other.body.Record, other.body.Sig }, CodeBadEpochSignature},
		{"short signature", func(b *CustodyEpochBody) { b.Sig = b.Sig[:10] }, CodeBadEpochSignature},
		{"epoch 2 first", func(b *CustodyEpochBody) { b.Epoch = 2 }, CodeStaleEpoch},
		{"joined node left out", func(b *CustodyEpochBody) { b.Nodes = b.Nodes[:4] }, CodeEpochMembership},
		{"a node twice", func(b *CustodyEpochBody) { b.Nodes[4] = b.Nodes[0] }, CodeEpochMembership},
		{"another custody key", func(b *CustodyEpochBody) { b.Nodes[4].CustodyKey = b.Nodes[3].CustodyKey }, CodeEpochMembership},
		{"shares of an unknown title", func(b *CustodyEpochBody) { b.Titles[0].Title = "nope" }, CodeEpochTitle},
		{"no shares for the title", func(b *CustodyEpochBody) { b.Titles = nil }, CodeEpochTitle},
		{"short blob", func(b *CustodyEpochBody) { b.Titles[0].Shares[2] = b.Titles[0].Shares[2][:50] }, CodeBadField},
		{"record truncated", func(b *CustodyEpochBody) { b.Record = b.Record[:40] }, CodeBadEncoding},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			b := n.body
			b.Nodes = append([]CustodyNode(nil), n.body.Nodes...)
			b.Titles = []EpochTitleShares{{Title: "film-e", Shares: append([][]byte(nil), n.shares...)}}
			tc.edit(&b)
			if got := n.run(n.gov(n.ops[0], TxCustodyEpoch, b)); got != tc.want {
				t.Fatalf("custody epoch: %s, want %s", got.Name(), tc.want.Name())
			}
			if _, e, err := n.app.CurrentCustody(); err != nil || e != 0 {
				t.Fatalf("CurrentCustody() epoch %d, %v; want 0", e, err)
			}
		})
	}

	// Epoch 1 in two parts: the shares, then the record.
	final := n.body
	final.Titles = nil
	if got := n.run(n.gov(n.ops[1], TxCustodyEpoch, CustodyEpochBody{Epoch: 1, Titles: n.body.Titles})); got != OK {
		t.Fatalf("shares part: %s", got.Name())
	}
	if _, e, _ := n.app.CurrentCustody(); e != 0 {
		t.Fatalf("after the shares part, epoch %d, want 0 until the record", e)
	}
	if got := n.run(n.gov(n.ops[2], TxCustodyEpoch, final)); got != OK {
		t.Fatalf("record part: %s", got.Name())
	}
	c, e, err := n.app.CurrentCustody()
	if err != nil || e != 1 || len(c.Nodes) != 5 || c.Threshold != 2 {
		t.Fatalf("CurrentCustody() = %d nodes, t %d, epoch %d, %v; want 5, 2, 1", len(c.Nodes), c.Threshold, e, err)
	}
	g, _ := custody.UnmarshalGroup(c.Group)
	if !g.Equal(n.newRes[0].Group) {
		t.Error("the group in force is not the reshared group")
	}
	if blob, err := n.app.EpochTitleShares("film-e", 1, 4); err != nil || !bytes.Equal(blob, n.shares[4]) {
		t.Errorf("EpochTitleShares(film-e, 1, 4) = %d bytes, %v; want the joined node's blob", len(blob), err)
	}
	if got := n.run(n.gov(n.ops[0], TxCustodyEpoch, n.body)); got != CodeStaleEpoch {
		t.Errorf("epoch 1 again: %s, want stale-epoch", got.Name())
	}

	// A title registered now is dealt to the five of epoch 1.
	ti := testTitle("film-f")
	ti.Segments = ti.Segments[:1]
	var pubs []*ecdh.PublicKey
	for _, k := range n.privs {
		pubs = append(pubs, k.PublicKey())
	}
	d, err := custody.Deal(custody.Title{ChainID: testChain, TitleID: "film-f", Segments: 1}, 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	d.Keys.Wipe()
	for _, r := range d.Roots {
		ti.ShareRoots = append(ti.ShareRoots, bytes.Clone(r[:]))
	}
	if got := n.run(n.gov(n.issuer, TxRegisterTitle, RegisterTitleBody{Title: ti, Shares: d.Blobs[:4]})); got != CodeBadField {
		t.Errorf("title dealt to the four of epoch 0: %s, want bad-field", got.Name())
	}
	ti.ShareRoots = ti.ShareRoots[:5]
	if got := n.run(n.gov(n.issuer, TxRegisterTitle, RegisterTitleBody{Title: ti, Shares: d.Blobs})); got != OK {
		t.Fatalf("title dealt to the five of epoch 1: %s", got.Name())
	}
	if got, err := n.app.Title("film-f"); err != nil || got.Epoch != 1 {
		t.Errorf("Title(film-f).Epoch = %v, %v; want 1", got.Epoch, err)
	}
}

// TestCustodyEpochTitleSince: a title registered after the resharing read
// the titles is not in the record, so the record is refused (epoch-title):
// a record names every title.
func TestCustodyEpochTitleSince(t *testing.T) {
	n := newEpochNet(t)
	ti := testTitle("film-g")
	ti.Segments = ti.Segments[:1]
	var pubs []*ecdh.PublicKey
	for _, k := range n.privs[:4] {
		pubs = append(pubs, k.PublicKey())
	}
	d, err := custody.Deal(custody.Title{ChainID: testChain, TitleID: "film-g", Segments: 1}, 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	d.Keys.Wipe()
	for _, r := range d.Roots {
		ti.ShareRoots = append(ti.ShareRoots, bytes.Clone(r[:]))
	}
	if got := n.run(n.gov(n.issuer, TxRegisterTitle, RegisterTitleBody{Title: ti, Shares: d.Blobs})); got != OK {
		t.Fatalf("register film-g: %s", got.Name())
	}
	if got := n.run(n.gov(n.ops[0], TxCustodyEpoch, n.body)); got != CodeEpochTitle {
		t.Fatalf("record without film-g: %s, want epoch-title", got.Name())
	}
}

// FuzzCustodyEpochBody runs arbitrary bodies as custody epoch
// transactions through FinalizeBlock on a network after a real resharing:
// never a panic or a storage error, only a code. Seeds: the valid record
// part, the shares part, a truncation and a stale epoch.
func FuzzCustodyEpochBody(f *testing.F) {
	n := newEpochNet(&testing.T{})
	valid, _ := json.Marshal(n.body)
	shares, _ := json.Marshal(CustodyEpochBody{Epoch: 1, Titles: n.body.Titles})
	stale := n.body
	stale.Epoch = 7
	st, _ := json.Marshal(stale)
	f.Add(valid)
	f.Add(shares)
	f.Add(valid[:len(valid)/2])
	f.Add(st)
	f.Fuzz(func(t *testing.T, body []byte) {
		n.nonces[n.ops[0].id]++
		tx := &Tx{Type: TxCustodyEpoch, Signer: n.ops[0].pub, Nonce: n.nonces[n.ops[0].id], Body: body}
		var err error
		if tx.Sig, err = protocol.Sign(rand.Reader, n.ops[0].key, signedTx{tx, testChain}); err != nil {
			t.Fatal(err)
		}
		n.t = t
		n.run(tx.Marshal())
	})
}

// TestCustodyEpochSnapshot: a node restored by state sync from a snapshot
// taken after epoch 1 holds the same epoch, group and new shares, and the
// same app hash; a second app fed the same blocks agrees on every hash.
func TestCustodyEpochSnapshot(t *testing.T) {
	n := newEpochNet(t)
	if got := n.run(n.gov(n.ops[0], TxCustodyEpoch, n.body)); got != OK {
		t.Fatalf("custody epoch: %s", got.Name())
	}
	n.app.opts.Snapshots = SnapshotOptions{Dir: t.TempDir(), ChunkSize: 4096, Keep: 1}
	h, hash := n.app.LastCommit()
	if err := n.app.MakeSnapshot(h, hash); err != nil {
		t.Fatalf("MakeSnapshot(%d) = %v", h, err)
	}
	l, _ := n.app.ListSnapshots(context.Background(), &abci.ListSnapshotsRequest{})
	fresh, err := New(dbm.NewMemDB(), Options{ChainID: testChain})
	if err != nil {
		t.Fatal(err)
	}
	if r := restoreInto(t, fresh, l.Snapshots[0], hash, chunksOf(t, n.app, l.Snapshots[0])); r != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
		t.Fatalf("restore = %v, want accept", r)
	}
	want, _ := n.app.CustodyEpoch()
	got, err := fresh.CustodyEpoch()
	if err != nil || got.Epoch != 1 || !bytes.Equal(got.Custody.Group, want.Custody.Group) || !bytes.Equal(got.Record, want.Record) {
		t.Fatalf("CustodyEpoch() after restore = epoch %d, %v; want epoch 1 and the same group and record", got.Epoch, err)
	}
	if blob, err := fresh.EpochTitleShares("film-e", 1, 4); err != nil || !bytes.Equal(blob, n.shares[4]) {
		t.Fatalf("EpochTitleShares after restore = %d bytes, %v", len(blob), err)
	}
	if _, got := fresh.LastCommit(); !bytes.Equal(got, hash) {
		t.Fatalf("app hash after restore %X, want %X", got, hash)
	}
}

// TestCustodyEpochVotedOut: after epoch 1 (4 -> 5) the joined validator
// is voted out; a record of epoch 2 that keeps it in place of a genesis
// node is refused (epoch-membership), the four genesis nodes are taken.
func TestCustodyEpochVotedOut(t *testing.T) {
	n := newEpochNet(t)
	if got := n.run(n.gov(n.ops[0], TxCustodyEpoch, n.body)); got != OK {
		t.Fatalf("epoch 1: %s", got.Name())
	}
	joined := n.set().Validators
	var pub []byte
	for _, v := range joined {
		if len(v.Descriptor.DKGKey) > 0 {
			pub = v.PubKey
		}
	}
	rm := ProposeValidatorBody{ID: "leave-5", Kind: ProposeRemove, PubKey: pub}
	for i, op := range n.ops {
		typ, body := TxVoteValidator, any(VoteValidatorBody{ID: "leave-5"})
		if i == 0 {
			typ, body = TxProposeValidator, rm
		}
		if got := n.run(n.gov(op, typ, body)); got != OK {
			t.Fatalf("removal vote %d: %s", i, got.Name())
		}
	}
	if len(n.set().Validators) != 4 {
		t.Fatal("the joined validator is still in the set")
	}
	// A real resharing 5 -> 4 of the group (the title's blobs need only
	// their size here: the contract cannot open them).
	var pts []kyber.Point
	for _, k := range n.dkg {
		p, _ := custody.ParseDKGPublic(k.Public())
		pts = append(pts, p)
	}
	var parties []custody.ReshareParty
	for i, k := range n.dkg {
		parties = append(parties, custody.ReshareParty{Key: k, Share: n.newRes[i].Share})
	}
	for _, tc := range []struct {
		name string
		keep []int
		want Code
	}{
		{"the voted-out node kept", []int{0, 1, 2, 4}, CodeEpochMembership},
		{"the four genesis nodes", []int{0, 1, 2, 3}, OK},
	} {
		var newPts []kyber.Point
		var nodes []CustodyNode
		for _, i := range tc.keep {
			newPts, nodes = append(newPts, pts[i]), append(nodes, n.nodes[i])
		}
		res, err := custody.RunReshareInProcess(custody.ReshareConfig{OldNodes: pts, NewNodes: newPts, OldGroup: n.newRes[0].Group, NewThreshold: 2, Nonce: nonce()}, parties)
		if err != nil {
			t.Fatal(err)
		}
		var news []*custody.DKGResult
		for _, r := range res {
			if r != nil {
				news = append(news, r)
			}
		}
		slices.SortFunc(news, func(a, b *custody.DKGResult) int { return a.Share.Node - b.Share.Node })
		rec := &custody.EpochRecord{ChainID: testChain, Epoch: 2, Group: news[0].Group, Titles: []custody.EpochTitle{{TitleID: "film-e", Roots: make([][32]byte, 4)}}}
		saved := n.newRes
		n.newRes = news
		b := n.signed(t, rec, 0, 1)
		n.newRes = saved
		b.Nodes = nodes
		b.Titles = []EpochTitleShares{{Title: "film-e", Shares: n.shares[:4]}}
		if got := n.run(n.gov(n.ops[0], TxCustodyEpoch, b)); got != tc.want {
			t.Fatalf("%s: %s, want %s", tc.name, got.Name(), tc.want.Name())
		}
	}
}

package players

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/custody/playertree"
	"copystation/tracing/opening"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

const epochChain = "epoch-chain"

// epochNet is a genesis ceremony of four nodes (t = 2) and a resharing to
// five (a fifth joins, t = 2) committed as epoch 1: each node's key
// service holds what its vault holds once chain.WipeOldShares ran (no
// ceremony share; its epoch-1 share, the joined node's only share), and
// follows the committed epoch record as the node's app serves it.
type epochNet struct {
	genesis *contract.Custody
	epoch   *contract.CustodyEpoch
	g0      *custody.Group
	keys    []*keyservice.Service // by party: 0-3 genesis, 4 joined
}

// committed is the ledger's custody epoch (contract.App.CustodyEpoch).
type committed struct{ ce *contract.CustodyEpoch }

func (c committed) CustodyEpoch() (*contract.CustodyEpoch, error) { return c.ce, nil }

func newEpochNet(t *testing.T) *epochNet {
	t.Helper()
	var dkg []*custody.DKGKey
	var pts []kyber.Point
	for range 5 {
		k := custody.NewDKGKey()
		p, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		dkg, pts = append(dkg, k), append(pts, p)
	}
	gen, err := custody.RunInProcess(custody.CeremonyConfig{Threshold: 2, Nodes: pts[:4], Nonce: nonce(t)}, dkg[:4])
	if err != nil {
		t.Fatal(err)
	}
	parties := []custody.ReshareParty{{Key: dkg[4]}}
	for i := range 4 {
		parties = append(parties, custody.ReshareParty{Key: dkg[i], Share: gen[i].Share})
	}
	res, err := custody.RunReshareInProcess(custody.ReshareConfig{OldNodes: pts[:4], NewNodes: pts, OldGroup: gen[0].Group, NewThreshold: 2, Nonce: nonce(t)}, parties)
	if err != nil {
		t.Fatal(err)
	}
	newShares := make([]*custody.KeyShare, 5) // by party = new index
	for k, r := range res {
		p := 4
		if k > 0 {
			p = k - 1
		}
		newShares[p] = r.Share
	}
	g1 := res[0].Group
	rec := &custody.EpochRecord{ChainID: epochChain, Epoch: 1, Group: g1}
	label, err := rec.Label()
	if err != nil {
		t.Fatal(err)
	}
	var ps []custody.Partial
	for _, sh := range newShares[3:] {
		p, err := custody.PartialSign(sh, label)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	sig, _, err := custody.Combine(g1, label, ps)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := rec.MarshalBinary()
	gb0, _ := gen[0].Group.MarshalBinary()
	gb1, _ := g1.MarshalBinary()
	n := &epochNet{
		genesis: &contract.Custody{Threshold: 2, Group: gb0},
		epoch:   &contract.CustodyEpoch{Epoch: 1, Height: 9, Custody: contract.Custody{Threshold: 2, Group: gb1}, Record: rb, Sig: sig[:]},
		g0:      gen[0].Group,
	}
	for p := range 5 {
		ks := keyservice.New(keyservice.Custody{ChainID: epochChain, Group: gen[0].Group, Epochs: map[uint32]*custody.KeyShare{1: newShares[p]}})
		ks.Follow(committed{n.epoch})
		t.Cleanup(ks.Close)
		n.keys = append(n.keys, ks)
	}
	for _, r := range gen {
		r.Share.Wipe() // WipeOldShares: no node keeps its ceremony share
	}
	return n
}

func nonce(t *testing.T) []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPlayerKeysAfterEpoch: after a resharing commits epoch 1 and the
// ceremony shares are wiped, a player's device keys come from two nodes'
// epoch partials, one of them the joined node's, checked against the
// epoch's group accepted from the ledger's record against the genesis
// group key; they open a disc key block built under the unchanged group
// key. Against the genesis group the same partials do not verify.
func TestPlayerKeysAfterEpoch(t *testing.T) {
	n := newEpochNet(t)
	tr := playertree.Tree{ID: "players-e", Depth: 8}
	maker, _ := ecdh.X25519().GenerateKey(rand.Reader)
	const leaf = 41
	rec := &contract.Player{Tree: tr.ID, Depth: tr.Depth, Leaf: leaf, Maker: "acme", MakerKey: maker.PublicKey().Bytes(), Height: 12}
	var files [][]byte
	for _, p := range []int{4, 1} {
		f, node, err := Partials(n.keys[p], tr, rec)
		if err != nil || node != p {
			t.Fatalf("Partials(party %d after epoch 1) = node %d, %v; want node %d", p, node, err, p)
		}
		files = append(files, f)
	}
	g, e, err := ledger.EpochGroup(n.genesis, epochChain, n.epoch)
	if err != nil || e != 1 {
		t.Fatalf("EpochGroup() = epoch %d, %v; want epoch 1", e, err)
	}
	if _, err := Keys(maker, n.g0, files); err == nil {
		t.Error("Keys(epoch partials, genesis group) = nil error, want partials refused")
	}
	k, err := Keys(maker, g, files)
	if err != nil {
		t.Fatalf("Keys(epoch partials of a joined and a kept node) = %v", err)
	}
	defer k.Wipe()
	dk := bytes.Repeat([]byte{7}, playertree.DiscKeySize)
	blk, err := playertree.Build(n.g0.Key(), tr, []uint32{leaf + 1}, []byte("media-e"), dk, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := playertree.Open(k, blk, []byte("media-e")); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Open(device keys from epoch-1 partials) = %x, %v, want %x", got, err, dk)
	}
}

// TestOpeningAfterEpoch: after epoch 1 commits, an opening answered by two
// nodes of the new set (the joined one among them), each signing with its
// share in force, combines against the epoch's group into signatures the
// unchanged group key verifies; against the genesis group (what trace
// combine used before) the answers do not verify.
func TestOpeningAfterEpoch(t *testing.T) {
	n := newEpochNet(t)
	tl, err := custody.TracingLabel(epochChain, "film-e")
	if err != nil {
		t.Fatal(err)
	}
	var cls [][]byte
	for i := range 3 {
		l, err := (custody.CopyRecord{ChainID: epochChain, TitleID: "film-e", JobID: fmt.Sprint("job-", i), TokenID: "tok", StationKeyID: "st"}).Label()
		if err != nil {
			t.Fatal(err)
		}
		cls = append(cls, l)
	}
	var answers []*opening.Answer
	for _, p := range []int{4, 2} {
		in, err := n.keys[p].ShareInForce()
		if err != nil || in.Epoch != 1 {
			t.Fatalf("ShareInForce(party %d) = epoch %d, %v; want epoch 1", p, in.Epoch, err)
		}
		a, err := opening.Sign(in.Share, tl, cls)
		in.Done()
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	g, _, err := ledger.EpochGroup(n.genesis, epochChain, n.epoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := opening.Combine(n.g0, tl, cls, answers); err == nil {
		t.Error("Combine(epoch-1 answers, genesis group) = nil error, want answers refused")
	}
	st, sigs, err := opening.Combine(g, tl, cls, answers)
	if err != nil {
		t.Fatalf("Combine(two epoch-1 answers) = %v", err)
	}
	if err := custody.Verify(n.g0.Key(), tl, st); err != nil {
		t.Errorf("σ_title under the genesis group key: %v", err)
	}
	for i, s := range sigs {
		if err := custody.Verify(n.g0.Key(), cls[i], s); err != nil {
			t.Errorf("σ_copy %d under the genesis group key: %v", i, err)
		}
	}
}

// TestEpochGroupRefused: a record the genesis group key did not sign, or
// one that is not the group the ledger commits, gives no group.
func TestEpochGroupRefused(t *testing.T) {
	n := newEpochNet(t)
	bad := *n.epoch
	bad.Sig = bytes.Clone(n.epoch.Sig)
	bad.Sig[5] ^= 1
	if _, _, err := ledger.EpochGroup(n.genesis, epochChain, &bad); !errors.Is(err, ledger.ErrEpochGroup) {
		t.Errorf("EpochGroup(tampered signature) = %v, want %v", err, ledger.ErrEpochGroup)
	}
	other := *n.epoch
	other.Custody.Group = n.genesis.Group
	if _, _, err := ledger.EpochGroup(n.genesis, epochChain, &other); !errors.Is(err, ledger.ErrEpochGroup) {
		t.Errorf("EpochGroup(ledger group not the record's) = %v, want %v", err, ledger.ErrEpochGroup)
	}
	if _, _, err := ledger.EpochGroup(n.genesis, "other-chain", n.epoch); !errors.Is(err, custody.ErrEpoch) {
		t.Errorf("EpochGroup(other chain) = %v, want %v", err, custody.ErrEpoch)
	}
}

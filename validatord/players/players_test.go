package players

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"copystation/custody"
	"copystation/custody/playertree"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
)

// TestTwoOfFourNodes: on a 4-node network from the genesis ceremony
// (t = 2), a player's device keys come from two nodes' vault shares, each
// node reading the enrollment from its own committed ledger; one node's
// partials are not enough; the keys open a disc key block for the
// network's group key; a revoked player gets no partials.
func TestTwoOfFourNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kek := bytes.Repeat([]byte{0x21}, 32)
	nw, err := embedded.StartNetwork(ctx, t.TempDir(), 4, embedded.Options{KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	app := nw.Node(0).App
	p, err := app.Params()
	if err != nil {
		t.Fatal(err)
	}
	tr := p.Players()
	c, err := app.Custody()
	if err != nil {
		t.Fatal(err)
	}
	g, err := custody.UnmarshalGroup(c.Group)
	if err != nil || g.T() != 2 || g.N() != 4 {
		t.Fatalf("custody group = %v, t %d of %d; want 2 of 4", err, g.T(), g.N())
	}
	maker, _ := ecdh.X25519().GenerateKey(rand.Reader)
	const leaf = 77
	res, err := nw.Node(0).Operator.Do(ctx, "player enroll", contract.TxEnrollPlayer,
		contract.EnrollPlayerBody{Tree: tr.ID, Depth: tr.Depth, Leaf: leaf, Maker: "acme", MakerKey: maker.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for _, i := range []int{1, 3} {
		n := nw.Node(i)
		if err := n.WaitHeight(ctx, res.Height); err != nil {
			t.Fatal(err)
		}
		rec, err := n.App.Player(tr.ID, leaf)
		if err != nil {
			t.Fatalf("node %d: Player() = %v", i, err)
		}
		f, node, err := Partials(n.Keys, tr, rec)
		if err != nil || node != i {
			t.Fatalf("node %d: Partials() = node %d, %v", i, node, err)
		}
		files = append(files, f)
	}
	if _, err := Keys(maker, g, files[:1]); !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Errorf("Keys(one node's partials) = %v, want %v", err, custody.ErrNotEnoughShares)
	}
	k, err := Keys(maker, g, files)
	if err != nil {
		t.Fatalf("Keys(two nodes' partials) = %v", err)
	}
	dk := bytes.Repeat([]byte{5}, playertree.DiscKeySize)
	blk, err := playertree.Build(g.Key(), tr, []uint32{leaf + 1}, []byte("media"), dk, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := playertree.Open(k, blk, []byte("media")); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Open(device keys from 2 of 4 nodes) = %x, %v, want %x", got, err, dk)
	}
	rv, err := nw.Node(0).Operator.Do(ctx, "player revoke", contract.TxRevokePlayer, contract.RevokePlayerBody{Tree: tr.ID, Leaf: leaf, Reason: "leaked"})
	if err != nil {
		t.Fatal(err)
	}
	n := nw.Node(2)
	if err := n.WaitHeight(ctx, rv.Height); err != nil {
		t.Fatal(err)
	}
	rec, err := n.App.Player(tr.ID, leaf)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Partials(n.Keys, tr, rec); !errors.Is(err, ErrRevoked) {
		t.Errorf("Partials(revoked player) = %v, want %v", err, ErrRevoked)
	}
}

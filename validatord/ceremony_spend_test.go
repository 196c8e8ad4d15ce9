package validatord

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/chain"
	"copystation/validatord/ledger"
	"copystation/validatord/ledger/ledgertest"
)

// spendThroughCeremony takes a spend on the network the multi-operator
// ceremony made, where every node holds its own secrets (no secret is
// shared between nodes): every node commits the spend to the same app
// hash (no node computes anything secret into the state), and each node's
// partial on the copy label, made from its own vault share, verifies, so
// any two make the copy's group signature.
func spendThroughCeremony(t *testing.T, ctx context.Context, nodes []*chain.Node, op *ledger.Admin, b ledger.Backend, issuerKey *ecdsa.PrivateKey) {
	t.Helper()
	issuer, err := ledger.NewAdmin(b, issuerKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The issuer deals the title to the custody nodes the ceremony made.
	if _, err := ledgertest.DealTitle(ctx, issuer, t.TempDir(), "film", 1); err != nil {
		t.Fatalf("DealTitle = %v", err)
	}
	sk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ka, _ := ecdh.P256().GenerateKey(rand.Reader)
	spub, _ := sk.PublicKey.Bytes()
	stID, err := op.EnrollStation(ctx, spub, ka.PublicKey().Bytes(), []uint16{0x41}, nil)
	if err != nil {
		t.Fatalf("EnrollStation = %v", err)
	}
	if err := issuer.MintToken(ctx, "tok", "film", spub); err != nil {
		t.Fatalf("MintToken = %v", err)
	}
	req := &protocol.CopyRequest{ChainID: nodes[0].ChainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n1",
		ChallengeExpiry: time.Now().Add(time.Minute).Unix(), JobID: "job-1", TokenID: "tok", TitleID: "film", Profile: 0x41, MediaID: []byte("m1")}
	sig, err := protocol.Sign(rand.Reader, sk, req)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ledger.NewLocal(nodes[1]).Spend(ctx, spub, req, sig)
	if err != nil {
		t.Fatalf("Spend through node 1 = %v", err)
	}
	var want []byte
	for i, n := range nodes {
		if err := n.WaitHeight(ctx, rc.Height+1); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		meta := n.Comet.BlockStore().LoadBlockMeta(rc.Height + 1)
		if want == nil {
			want = meta.Header.AppHash
		} else if !bytes.Equal(meta.Header.AppHash, want) {
			t.Fatalf("node %d: app hash %x after the spend, node 0's %x", i, meta.Header.AppHash, want)
		}
	}
	cust, err := nodes[0].App.Custody()
	if err != nil {
		t.Fatal(err)
	}
	g, err := custody.UnmarshalGroup(cust.Group)
	if err != nil {
		t.Fatal(err)
	}
	c, err := nodes[0].App.Copy("job-1")
	if err != nil {
		t.Fatal(err)
	}
	label, err := nodes[0].Keys.Label(c)
	if err != nil {
		t.Fatal(err)
	}
	info := keys.Info{JobID: "job-1", MediaID: []byte("m1"), Transcript: []byte("t")}
	var ps []custody.Partial
	for i, n := range nodes {
		if err := n.WaitHeight(ctx, rc.Height); err != nil {
			t.Fatal(err)
		}
		rel, err := ledger.NewLocal(n).ReleasePartial(ctx, stID, info)
		if err != nil {
			t.Fatalf("ReleasePartial(node %d) = %v", i, err)
		}
		pb, _, err := keys.OpenPartial(ka, info, rel.Sealed)
		if err != nil {
			t.Fatal(err)
		}
		p, err := custody.UnmarshalPartial(pb)
		if err != nil {
			t.Fatal(err)
		}
		if err := custody.VerifyPartial(g, label, p); err != nil {
			t.Fatalf("node %d's partial: %v", i, err)
		}
		ps = append(ps, p)
	}
	a, _, err1 := custody.Combine(g, label, ps[:2])
	z, _, err2 := custody.Combine(g, label, ps[2:])
	if err1 != nil || err2 != nil || a != z {
		t.Fatalf("Combine(nodes 0,1) and (2,3) = %v, %v, equal %v; want one group signature", err1, err2, a == z)
	}
	t.Logf("spend at height %d: all 4 nodes hold app hash %x; every node's partial verifies", rc.Height, want)
}

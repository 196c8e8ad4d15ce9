package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"copystation/custody"
	"copystation/keys"
	"copystation/ledgerclient"
	vchain "copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// join makes a fifth operator's node, votes it in (operators 0-2) and
// starts it by state sync, the spender moving the chain meanwhile; it
// returns once the node signs. TestNetworkGrowsAndShrinks and
// TestNetworkReshares share it.
func (n *growNet) join(ctx context.Context, t *testing.T, sp *spender) (*vchain.Node, *vchain.Joiner, *ecdsa.PrivateKey) {
	t.Helper()
	newOp, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	newOpPub, _ := newOp.PublicKey.Bytes()
	gen, err := os.ReadFile(filepath.Join(n.nw.Homes[0], vchain.FileGenesis))
	if err != nil {
		t.Fatal(err)
	}
	var peers, rpcs []string
	for i := range 4 {
		nc, _ := vchain.LoadNodeConfig(n.nw.Homes[i])
		peers = append(peers, n.node(i).NodeID()+"@"+nc.P2PListen)
		rpcs = append(rpcs, nc.RPCListen)
	}
	for n.snapshots(ctx) == 0 {
		sp.progress(t, "waiting for a snapshot")
	}
	th, thash, err := vchain.TrustedHeader(ctx, rpcs[0])
	if err != nil {
		t.Fatal(err)
	}
	ports, err := vchain.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(n.home, "node4")
	j, err := vchain.InitJoiner(home, n.kek, vchain.JoinOptions{Moniker: "node4", Genesis: gen,
		P2PListen: fmt.Sprintf("127.0.0.1:%d", ports[0]), RPCListen: fmt.Sprintf("tcp://127.0.0.1:%d", ports[1]),
		GatewayListen: fmt.Sprintf("127.0.0.1:%d", ports[2]), Peers: peers,
		StateSync: vchain.StateSync{RPCServers: rpcs[:2], TrustHeight: th, TrustHash: thash},
		Snapshots: vchain.Snapshots{Interval: 4, Keep: 2}}, nil)
	if err != nil {
		t.Fatalf("InitJoiner = %v", err)
	}
	add := contract.ProposeValidatorBody{ID: "join-node4", Kind: contract.ProposeAdd, PubKey: j.PubKey, Power: 10, Operator: newOpPub, Descriptor: j.Descriptor}
	if err := n.admins[0].ProposeValidator(ctx, add); err != nil {
		t.Fatalf("ProposeValidator = %v", err)
	}
	for _, i := range []int{1, 2} {
		if err := n.admins[i].VoteValidator(ctx, "join-node4"); err != nil {
			t.Fatalf("VoteValidator(operator %d) = %v", i, err)
		}
	}
	sp.progress(t, "after the vote")
	var joinLog syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node4's CometBFT errors:\n%s", joinLog.String())
		}
	})
	joiner, err := vchain.Start(ctx, vchain.Options{Home: home, KEK: n.kek, LogWriter: &joinLog, Tune: func(c *cfg.Config) { c.StateSync.DiscoveryTime = 5 * time.Second }})
	if err != nil {
		t.Fatalf("Start(joiner) = %v", err)
	}
	t.Cleanup(func() {
		if joiner.Comet.IsRunning() { // a caller may have stopped it
			joiner.Stop()
		}
	})
	target, _ := n.node(0).App.LastCommit()
	if err := joiner.WaitHeight(ctx, target); err != nil {
		t.Fatal(err)
	}
	if err := joiner.WaitConsensus(ctx); err != nil {
		t.Fatal(err)
	}
	n.waitSigned(ctx, t, j.PubKey, true)
	return joiner, j, newOp
}

// reshare runs a resharing of the custody in force to newNodes over every
// home, submits the parts and waits until every running node has the
// epoch; each takes its new share from its vault itself.
func (n *growNet) reshare(ctx context.Context, t *testing.T, homes []vchain.ReshareHome, newNodes []contract.CustodyNode, running []*vchain.Node) uint32 {
	t.Helper()
	parts, err := vchain.ReshareInProcess(n.node(0).App, homes, newNodes, 2)
	if err != nil {
		t.Fatalf("ReshareInProcess = %v", err)
	}
	e := parts[0].Epoch // the running nodes read their new shares from their vaults themselves
	for i, p := range parts {
		if _, err := n.admins[0].Do(ctx, "custody epoch", contract.TxCustodyEpoch, p); err != nil {
			t.Fatalf("custody epoch %d, part %d of %d: %v", e, i+1, len(parts), err)
		}
	}
	h, _ := n.node(0).App.LastCommit()
	for _, nd := range running {
		if err := nd.WaitHeight(ctx, h); err != nil {
			t.Fatal(err)
		}
		if _, got, err := nd.App.CurrentCustody(); err != nil || got != e {
			t.Fatalf("node %s: custody epoch %d, %v; want %d", nd.Config.Moniker, got, err, e)
		}
	}
	for _, h := range homes {
		if err := vchain.WipeOldShares(h, e); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// copyVia makes one copy through the given gateways only.
func (n *growNet) copyVia(ctx context.Context, t *testing.T, job string, gws ...*testNode) (*ledgerclient.Client, ledgerclient.CopyRequestParams) {
	t.Helper()
	var pins []ledgerclient.Node
	for _, g := range gws {
		pins = append(pins, g.pin)
	}
	c := n.st.client(t, n.clk.Now, pins...)
	if err := n.node(0).Issuer.MintToken(ctx, "tok-"+job, "title-1", n.st.signPub); err != nil {
		t.Fatal(err)
	}
	p := n.paramsFor(job, "tok-"+job, "title-1", []byte("m-"+job))
	a, err := c.Authorize(ctx, p)
	if err != nil {
		t.Fatalf("copy %s: Authorize = %v", job, err)
	}
	a.Keys.Wipe()
	return c, p
}

// TestNetworkReshares is issue 16 item 4's must-show for custody: four
// nodes vote a fifth in; a resharing 4 -> 5 commits as custody epoch 1
// (tx 26); a copy through the joined node and one old node only (t = 2)
// is authorised, the station taking the epoch from their answers, with the
// group key X of genesis; app hashes agree. The operators vote the fifth
// out, reshare 5 -> 4 (epoch 2): copies go through the four, and the
// departed node's new-epoch release is refused. The old shares are wiped
// from every vault.
func TestNetworkReshares(t *testing.T) {
	n := startGrowNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	defer func() { t.Logf("TestNetworkReshares took %v", time.Since(start).Round(time.Second)) }()
	sp := n.spend(t)
	sp.progress(t, "before growing")
	joiner, j, newOp := n.join(ctx, t, sp)
	sp.finish(t)
	gwJ := startNode(t, ledger.NewLocal(joiner), nodeOpts{now: n.clk.Now})

	var homes []vchain.ReshareHome
	var running []*vchain.Node
	for i, h := range n.nw.Homes[:4] {
		homes, running = append(homes, vchain.ReshareHome{Home: h, KEK: n.kek}), append(running, n.node(i).Node)
	}
	homes, running = append(homes, vchain.ReshareHome{Home: joiner.Home, KEK: n.kek}), append(running, joiner)
	gen, err := n.node(0).App.Custody()
	if err != nil {
		t.Fatal(err)
	}
	five := append(append([]contract.CustodyNode(nil), gen.Nodes...), contract.CustodyNode{Name: "node4", CustodyKey: j.Descriptor.CustodyKey, DKGKey: j.Descriptor.DKGKey})
	if e := n.reshare(ctx, t, homes, five, running); e != 1 {
		t.Fatalf("epoch %d, want 1", e)
	}
	c, _ := n.copyVia(ctx, t, "after-grow", gwJ, n.gw[3])
	if c.Epoch() != 1 {
		t.Errorf("station epoch %d after the copy, want 1", c.Epoch())
	}
	ce, _ := n.node(0).App.CustodyEpoch()
	if !bytes.Equal(groupKey(t, ce.Custody.Group), groupKey(t, gen.Group)) {
		t.Error("the group key changed with the resharing")
	}
	n.sameAppHash(ctx, t, joiner)

	// The fifth leaves: voted out, then 5 -> 4.
	newAdmin, err := ledger.NewAdmin(n.node(0).Ledger, newOp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := newAdmin.ProposeValidator(ctx, contract.ProposeValidatorBody{ID: "leave-node4", Kind: contract.ProposeRemove, PubKey: j.PubKey}); err != nil {
		t.Fatalf("ProposeValidator(remove) = %v", err)
	}
	for _, i := range []int{0, 1, 2} {
		if err := n.admins[i].VoteValidator(ctx, "leave-node4"); err != nil {
			t.Fatalf("VoteValidator(remove, operator %d) = %v", i, err)
		}
	}
	n.waitOut(ctx, t, j.PubKey)
	if e := n.reshare(ctx, t, homes, gen.Nodes, running); e != 2 {
		t.Fatalf("epoch %d, want 2", e)
	}
	_, p := n.copyVia(ctx, t, "after-shrink", n.gw...)
	_, err = ledger.NewLocal(joiner).ReleasePartial(ctx, n.st.id, keys.Info{JobID: p.JobID, MediaID: p.MediaID, Transcript: make([]byte, 32)})
	if !errors.Is(err, keyservice.ErrNotInEpoch) {
		t.Fatalf("departed node's release at epoch 2 = %v, want ErrNotInEpoch", err)
	}
	n.copyVia(ctx, t, "after-shrink-2", n.gw[0], n.gw[2])
	n.sameAppHash(ctx, t, joiner)
	for _, h := range homes {
		sec, err := vault.Load(filepath.Join(h.Home, vchain.FileVault), h.KEK)
		if err != nil {
			t.Fatal(err)
		}
		if len(sec.CustodyShare) != 0 || (len(sec.EpochShares) > 0 && sec.EpochShares[0].Epoch != 2) {
			t.Errorf("%s: vault still holds an old share after epoch 2", h.Home)
		}
		sec.Wipe()
	}
}

// groupKey is a custody group's key X.
func groupKey(t *testing.T, g []byte) []byte {
	t.Helper()
	grp, err := custody.UnmarshalGroup(g)
	if err != nil {
		t.Fatal(err)
	}
	return grp.KeyBytes()
}

// waitOut moves the chain (a mint per block: an idle network makes no
// blocks, and a removal applies two heights after it passes) until the
// validator set on node 0 no longer has the key.
func (n *growNet) waitOut(ctx context.Context, t *testing.T, pub []byte) {
	t.Helper()
	addr := ed25519.PubKey(pub).Address()
	for i := 0; ; i++ {
		if err := n.node(0).Issuer.MintToken(ctx, fmt.Sprintf("tick-%d", i), "title-1", n.st.signPub); err != nil {
			t.Fatalf("mint while waiting for the removal: %v", err)
		}
		h, _ := n.node(0).App.LastCommit()
		if vals, err := n.node(0).Client.Validators(ctx, &h, nil, nil); err == nil {
			if _, v := types.NewValidatorSet(vals.Validators).GetByAddress(addr); v == nil {
				return
			}
		}
	}
}

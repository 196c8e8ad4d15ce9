package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/mempool"

	"copystation/validatord/chain"
	"copystation/validatord/contract"
)

// TestGossipFromOriginOnly: transactions submitted to one node of four
// reach the other three from that node alone. The node they were
// submitted to sends each of them at most once to each peer; the other
// three, which only received them, send none of them on (CometBFT's own
// reactor would send each again to the two peers that had not sent it);
// and every node commits every one. A node whose node.json sets relay_txs
// runs CometBFT's own reactor again and commits what it relays.
func TestGossipFromOriginOnly(t *testing.T) {
	ctx, nw, st := gossipNet(t)
	// The set-up's transactions all sent: a node holds one back from a
	// peer a block behind it until the peer catches up.
	quiet(t, ctx, nw)
	before := make([]int64, nw.Len())
	for i := range before {
		before[i], _ = nw.Node(i).TxsSent()
	}

	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("gossip-%d", i)
	}
	mintTokens(t, ctx, nw, st.signPub, ids) // through node 0, the last waited for
	h, _ := nw.Node(0).App.LastCommit()
	for i := range nw.Len() {
		n := nw.Node(i)
		if err := n.WaitHeight(ctx, h); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			var tok contract.Token
			if err := n.Ledger.Query(ctx, "/token/"+id, &tok); err != nil {
				t.Fatalf("node %d: token %s: %v", i, id, err)
			}
		}
		sent, _ := n.TxsSent()
		sent -= before[i]
		switch {
		case i == 0 && (sent <= 0 || sent > int64(3*len(ids))):
			t.Errorf("node 0 sent %d transactions for %d minted through it, want 1 to %d (at most one to each of 3 peers)", sent, len(ids), 3*len(ids))
		case i > 0 && sent != 0:
			t.Errorf("node %d sent %d transactions on, want none: it only received them", i, sent)
		}
	}

	if err := nw.Stop(3); err != nil {
		t.Fatal(err)
	}
	nc, err := chain.LoadNodeConfig(nw.Homes[3])
	if err != nil {
		t.Fatal(err)
	}
	nc.RelayTxs = true
	if err := chain.SaveNodeConfig(nw.Homes[3], nc); err != nil {
		t.Fatal(err)
	}
	if err := nw.Restart(ctx, 3); err != nil {
		t.Fatalf("Restart(3) = %v", err)
	}
	if r := nw.Node(3).Comet.Switch().Reactor("MEMPOOL"); reflect.TypeOf(r) != reflect.TypeFor[*mempool.Reactor]() {
		t.Fatalf("node 3 with relay_txs runs mempool reactor %T, want CometBFT's", r)
	}
	mintTokens(t, ctx, nw, st.signPub, []string{"gossip-relayed"})
	h, _ = nw.Node(0).App.LastCommit()
	if err := nw.Node(3).WaitHeight(ctx, h); err != nil {
		t.Fatal(err)
	}
	var tok contract.Token
	if err := nw.Node(3).Ledger.Query(ctx, "/token/gossip-relayed", &tok); err != nil {
		t.Fatalf("node 3 with relay_txs: %v", err)
	}
}

// TestGossipChecksBeforeMempoolLock: a node checks a transaction a peer
// sends it before its mempool takes its lock for the check, so a block's
// commit, which holds that lock to write, no longer waits for the checks
// in progress. With node 1's mempool held locked, a transaction submitted
// to node 0 reaches node 1 and is checked there; once the lock is let go,
// every node commits it.
func TestGossipChecksBeforeMempoolLock(t *testing.T) {
	ctx, nw, st := gossipNet(t)
	n0, n1 := nw.Node(0), nw.Node(1)
	tx := nextMint(t, ctx, nw, "locked-out", st.signPub)

	// Node 1 must hold its lock with nothing left to commit: a node
	// stuck mid-commit falls behind, and its peers hold transactions back
	// from a peer more than a block behind them.
	quiet(t, ctx, nw)
	mp := n1.Comet.Mempool()
	mp.Lock()
	locked := true
	defer func() {
		if locked {
			mp.Unlock()
		}
	}()
	if _, err := n0.Client.BroadcastTxSync(ctx, tx); err != nil {
		t.Fatalf("BroadcastTxSync() = %v", err)
	}
	deadline := time.After(20 * time.Second)
	for !n1.App.Checked(tx) {
		select {
		case <-deadline:
			t.Fatal("node 1 never checked the transaction while its mempool was locked")
		case <-time.After(5 * time.Millisecond):
		}
	}
	mp.Unlock()
	locked = false
	if _, err := n0.Ledger.Submit(ctx, "mint", tx); err != nil {
		t.Fatalf("mint: %v", err)
	}
	h, _ := n0.App.LastCommit()
	for i := range nw.Len() {
		var tok contract.Token
		if err := nw.Node(i).WaitHeight(ctx, h); err != nil {
			t.Fatal(err)
		}
		if err := nw.Node(i).Ledger.Query(ctx, "/token/locked-out", &tok); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
}

// TestGossipFullMempoolChecksNothing: a node whose mempool is full checks
// nothing a peer sends it, as CometBFT's mempool refuses before its own
// check; the network still commits, the node executing what it never
// checked.
func TestGossipFullMempoolChecksNothing(t *testing.T) {
	ctx, nw, st := gossipNet(t)
	if err := nw.Stop(1); err != nil {
		t.Fatal(err)
	}
	if err := nw.RestartTuned(ctx, 1, func(c *cfg.Config) { c.Mempool.Size = 0 }); err != nil { // always full
		t.Fatalf("RestartTuned(1) = %v", err)
	}
	if err := nw.Node(1).WaitConsensus(ctx); err != nil { // it drops what peers send while it catches up
		t.Fatal(err)
	}
	quiet(t, ctx, nw)
	n0 := nw.Node(0)
	tx := nextMint(t, ctx, nw, "no-room", st.signPub)
	if _, err := n0.Ledger.Submit(ctx, "mint", tx); err != nil {
		t.Fatalf("mint: %v", err)
	}
	h, _ := n0.App.LastCommit()
	n1 := nw.Node(1)
	if err := n1.WaitHeight(ctx, h); err != nil {
		t.Fatal(err)
	}
	var tok contract.Token
	if err := n1.Ledger.Query(ctx, "/token/no-room", &tok); err != nil {
		t.Fatalf("node 1: %v", err)
	}
	if n1.App.Checked(tx) {
		t.Error("node 1, its mempool full, checked a transaction a peer sent it")
	}
}

// TestGossipPartialMeshCommits: a validator connected to one peer only
// (its links to the other two down) still gets its transaction committed
// when neither of the two is linked to it and one of them proposes next.
// Only its one peer receives the transaction; without relaying, the
// proposer never starts the height (the network makes no empty blocks
// and it has no transaction), and the two nodes that have one are half
// the votes. The peer, holding it with no new block, relays it. Two
// hundred transactions through that node all commit.
func TestGossipPartialMeshCommits(t *testing.T) {
	ctx, nw, st := gossipNet(t)
	quiet(t, ctx, nw)
	// With no transactions the network makes no block, so the proposer
	// of the height it waits to start stays this node through restarts.
	p := proposer(t, ctx, nw)
	var others []int
	for i := range nw.Len() {
		if i != p {
			others = append(others, i)
		}
	}
	x, y := others[0], others[1] // x linked to y alone
	idY := string(nw.Node(y).Comet.Switch().NodeInfo().ID())
	if err := nw.Stop(x); err != nil {
		t.Fatal(err)
	}
	// x listens where no peer dials (Partition) and dials y alone: only x
	// makes a link.
	err := nw.RestartTuned(ctx, x, func(c *cfg.Config) {
		var toY []string
		for _, p := range strings.Split(c.P2P.PersistentPeers, ",") {
			if strings.HasPrefix(p, idY+"@") {
				toY = append(toY, p)
			}
		}
		Partition(c)
		c.P2P.PersistentPeers = strings.Join(toY, ",")
	})
	if err != nil {
		t.Fatalf("RestartTuned(%d) = %v", x, err)
	}
	if err := nw.Node(x).WaitConsensus(ctx); err != nil {
		t.Fatal(err)
	}
	quiet(t, ctx, nw)
	if got := nw.Node(x).Comet.Switch().Peers().Size(); got != 1 {
		t.Fatalf("node %d has %d peers, want 1 (node %d)", x, got, y)
	}
	if got := proposer(t, ctx, nw); got != p {
		t.Fatalf("the proposer moved from node %d to %d with no block made", p, got)
	}

	// A backlog through x: a stall's relay need only give the proposer
	// one transaction to start the height; x and y propose the rest.
	nx := nw.Node(x)
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("one-link-%d", i)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	mintThrough(t, sctx, nw, x, st.signPub, ids) // waits for the last
	h, _ := nx.App.LastCommit()
	for i := range nw.Len() {
		if err := nw.Node(i).WaitHeight(sctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		var tok contract.Token
		if err := nx.Ledger.Query(ctx, "/token/"+id, &tok); err != nil {
			t.Errorf("%s, minted through node %d, not committed by the last mint's height: %v", id, x, err)
		}
	}
	if _, relayed := nw.Node(y).TxsSent(); relayed == 0 {
		t.Errorf("node %d relayed nothing", y)
	}
}

// proposer is the node that proposes first at the height node 0 waits to
// start.
func proposer(t *testing.T, ctx context.Context, nw *Network) int {
	t.Helper()
	cs, err := nw.Node(0).Client.ConsensusState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rs struct {
		Proposer struct {
			Address cmtbytes.HexBytes `json:"address"`
		} `json:"proposer"`
	}
	if err := json.Unmarshal(cs.RoundState, &rs); err != nil {
		t.Fatal(err)
	}
	for i := range nw.Len() {
		pk, err := nw.Node(i).Comet.PrivValidator().GetPubKey()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(pk.Address(), rs.Proposer.Address) {
			return i
		}
	}
	t.Fatalf("proposer %s is no node of the network", rs.Proposer.Address)
	return -1
}

// quiet waits until every node has stored the same height and none has
// stored another for half a second: with no transactions waiting, the
// network makes no blocks.
func quiet(t *testing.T, ctx context.Context, nw *Network) {
	t.Helper()
	last, since := heights(nw), time.Now()
	for {
		now := heights(nw)
		if !slices.Equal(now, last) || slices.Min(now) != slices.Max(now) {
			last, since = now, time.Now()
		} else if time.Since(since) > 500*time.Millisecond {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the network never settled (heights %v): %v", now, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// gossipNet starts four nodes, stopped when the test ends, and sets up a
// title and a station through node 0.
func gossipNet(t *testing.T) (context.Context, *Network, *station) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	nw, err := StartNetwork(ctx, t.TempDir(), 4, Options{})
	if err != nil {
		t.Fatalf("StartNetwork() = %v", err)
	}
	t.Cleanup(func() { nw.Close() })
	st := newStation(t)
	setup(t, ctx, nw.Node(0), st)
	return ctx, nw, st
}

// nextMint is the issuer's next transaction through node 0, minting token
// id for owner, made but not sent.
func nextMint(t *testing.T, ctx context.Context, nw *Network, id string, owner []byte) []byte {
	t.Helper()
	return mintTx(t, nw, issuerNonce(t, ctx, nw.Node(0))+1, id, owner)
}

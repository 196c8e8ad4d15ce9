package embedded

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"copystation/protocol"
	"copystation/validatord/contract"
)

// mintTokens mints ids to owner through node 0 in as few blocks as the
// mempool allows: consecutive nonces broadcast at once, then one wait per
// 4,000 (the mempool holds 5,000).
func mintTokens(t testing.TB, ctx context.Context, nw *Network, owner []byte, ids []string) {
	t.Helper()
	mintThrough(t, ctx, nw, 0, owner, ids)
}

// mintThrough is mintTokens through node i.
func mintThrough(t testing.TB, ctx context.Context, nw *Network, i int, owner []byte, ids []string) {
	t.Helper()
	n := nw.Node(i)
	nonce := issuerNonce(t, ctx, n)
	for k, id := range ids {
		nonce++
		tx := mintTx(t, nw, nonce, id, owner)
		if _, err := n.Client.BroadcastTxSync(ctx, tx); err != nil {
			t.Fatalf("broadcast mint through node %d: %v", i, err)
		}
		if (k+1)%4000 == 0 || k == len(ids)-1 {
			if _, err := n.Ledger.Submit(ctx, "mint", tx); err != nil {
				t.Fatalf("mint through node %d: %v", i, err)
			}
		}
	}
}

// issuerNonce is the last nonce of the issuer's that node n has
// committed.
func issuerNonce(t testing.TB, ctx context.Context, n *Node) uint64 {
	t.Helper()
	var nonce uint64
	if err := n.Ledger.Query(ctx, "/nonce/"+n.Issuer.ID(), &nonce); err != nil {
		t.Fatal(err)
	}
	return nonce
}

// mintTx is the issuer's transaction with this nonce minting token id of
// film-1 for owner, made but not sent.
func mintTx(t testing.TB, nw *Network, nonce uint64, id string, owner []byte) []byte {
	t.Helper()
	n0 := nw.Node(0)
	tx, err := contract.NewTx(rand.Reader, nw.opts.IssuerKey, n0.Issuer.PublicKey(), n0.ChainID, contract.TxMintToken, nonce,
		contract.MintTokenBody{ID: id, Title: "film-1", Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestDoubleSpendsInABacklog sends, all at once, two spends of each of 300
// tokens, by two stations through different nodes: more than one bounded
// proposal holds (contract.MaxBlockTxBytes), so the backlog is spread over
// blocks by their proposers, and a token's two spends may land in one block
// or in two. Each token must be spent exactly once, the other spend refused
// as token-spent, and every block the nodes made must keep the bound.
func TestDoubleSpendsInABacklog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nw, stA, stB, cust, _ := twoStationNetwork(t, ctx)
	defer nw.Close()
	const tokens = 300
	ids := make([]string, tokens)
	for i := range ids {
		ids[i] = fmt.Sprintf("backlog-%d", i)
	}
	mintTokens(t, ctx, nw, cust.pub, ids)
	type spend struct {
		st   *station
		node int
		req  *protocol.CopyRequest
		sig  []byte
	}
	spends := make([]spend, 0, 2*tokens)
	for i, tok := range ids {
		reqA, sigA := stA.grantedRequest(t, cust, "jobA-"+tok, tok, "mA")
		reqB, sigB := stB.grantedRequest(t, cust, "jobB-"+tok, tok, "mB")
		spends = append(spends, spend{stA, i % 2, reqA, sigA}, spend{stB, 2 + i%2, reqB, sigB})
	}
	h0, _ := nw.Node(0).App.LastCommit()
	errs := make([]error, len(spends))
	var wg sync.WaitGroup
	for i, s := range spends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = nw.Node(s.node).Ledger.Spend(ctx, s.st.signPub, s.req, s.sig)
		}()
	}
	wg.Wait()
	for i, tok := range ids {
		a, b := errs[2*i], errs[2*i+1]
		ok := 0
		for _, err := range []error{a, b} {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, contract.CodeTokenSpent):
				t.Fatalf("%s: Spend = %v, want success or %v", tok, err, contract.CodeTokenSpent)
			}
		}
		if ok != 1 {
			t.Fatalf("%s: %d spends succeeded (A: %v, B: %v), want exactly 1", tok, ok, a, b)
		}
	}
	h1, _ := nw.Node(0).App.LastCommit()
	bs := nw.Node(0).Comet.BlockStore()
	for h := h0 + 1; h <= h1; h++ {
		blk, _ := bs.LoadBlock(h)
		if blk == nil {
			t.Fatalf("block %d not in node 0's store", h)
		}
		size := 0
		for _, tx := range blk.Data.Txs {
			size += len(tx)
		}
		if n := len(blk.Data.Txs); n > contract.MaxBlockTxs || (n > 1 && size > contract.MaxBlockTxBytes) {
			t.Errorf("block %d holds %d transactions, %d bytes: over the proposer's bound (%d, %d)", h, n, size, contract.MaxBlockTxs, contract.MaxBlockTxBytes)
		}
	}
	t.Logf("%d spends of %d tokens in heights %d to %d", len(spends), tokens, h0+1, h1)
}

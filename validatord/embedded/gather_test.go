package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// TestGatheredSpends spends 24 tokens at once over four nodes whose
// ledgers gather statements into batches, four of them twice (another job
// on another node, at the same moment): every token is spent exactly once,
// each statement's submitter gets its own verdict, the blocks held batches
// of several statements, and a forged statement is refused before any
// block with the signature's code.
func TestGatheredSpends(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nw, err := StartNetwork(ctx, t.TempDir(), 4, Options{GatherWindow: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("StartNetwork(4) = %v", err)
	}
	defer nw.Close()
	st := newStation(t)
	setup(t, ctx, nw.Node(0), st)
	ids := make([]string, 24)
	for i := range ids {
		ids[i] = fmt.Sprintf("g-%d", i)
	}
	mintTokens(t, ctx, nw, st.signPub, ids)
	h0, _ := nw.Node(0).App.LastCommit()

	type outcome struct {
		token string
		err   error
	}
	var wg sync.WaitGroup
	out := make(chan outcome, 2*len(ids))
	spend := func(node int, job, token string) {
		defer wg.Done()
		req, sig := st.request(t, job, token, "m-"+job)
		_, err := nw.Node(node).Ledger.Spend(ctx, st.signPub, req, sig)
		out <- outcome{token, err}
	}
	for i, id := range ids {
		wg.Add(1)
		go spend(i%4, "job-"+id, id)
		if i < 4 {
			wg.Add(1)
			go spend((i+1)%4, "rival-"+id, id)
		}
	}
	wg.Wait()
	close(out)
	accepted := map[string]int{}
	for o := range out {
		var refused *ledger.RefusalError
		switch {
		case o.err == nil:
			accepted[o.token]++
		case errors.As(o.err, &refused) && refused.Code == contract.CodeTokenSpent:
		default:
			t.Errorf("spend of %s: %v, want a receipt or token-spent", o.token, o.err)
		}
	}
	for _, id := range ids {
		if accepted[id] != 1 {
			t.Errorf("token %s spent %d times, want once", id, accepted[id])
		}
	}

	// The statements travelled in batches.
	h1, _ := nw.Node(0).App.LastCommit()
	bs := nw.Node(0).Comet.BlockStore()
	most := 0
	for h := h0 + 1; h <= h1; h++ {
		b, _ := bs.LoadBlock(h)
		for _, tx := range b.Txs {
			if len(tx) > 2 && contract.TxType(tx[2]) == contract.TxBatch {
				stmts, err := contract.BatchStatements(tx)
				if err != nil {
					t.Fatalf("height %d: %v", h, err)
				}
				most = max(most, len(stmts))
			}
		}
	}
	if most < 2 {
		t.Errorf("largest batch in heights %d..%d held %d statements, want several", h0+1, h1, most)
	}

	// A forged statement comes back refused with its own code.
	req, sig := st.request(t, "job-forged", "g-0", "m-f")
	sig = bytes.Clone(sig)
	sig[len(sig)-3] ^= 1
	_, err = nw.Node(1).Ledger.Spend(ctx, st.signPub, req, sig)
	var refused *ledger.RefusalError
	if !errors.As(err, &refused) || refused.Code != contract.CodeBadSignature || refused.Op != "ledger.Spend" {
		t.Errorf("forged spend = %v, want ledger.Spend refused with bad-signature", err)
	}
}

package contract

import (
	"bytes"
	"context"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// TestCheckedAndUncheckedExecuteAlike: blocks of spends and reports execute
// to the same results and app hash on a node that checked every transaction
// first (executing the statements CheckTx decoded) and on one that checked
// none (decoding and verifying them in FinalizeBlock): first spends, a
// customer's grant, an idempotent repeat, refusals, a spoil and its retry.
func TestCheckedAndUncheckedExecuteAlike(t *testing.T) {
	w := newWorld(t)
	copyDB := dbm.NewMemDB()
	it, err := w.db.Iterator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ; it.Valid(); it.Next() {
		copyDB.Set(bytes.Clone(it.Key()), bytes.Clone(it.Value()))
	}
	it.Close()
	unchecked, err := New(copyDB, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(txs ...[]byte) {
		t.Helper()
		for _, tx := range txs {
			if _, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx}); err != nil {
				t.Fatal(err)
			}
		}
		want := w.block(txs...)
		_, wantHash := w.app.LastCommit()
		got, err := unchecked.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: w.height, Time: w.now, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unchecked.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			t.Fatal(err)
		}
		for i := range txs {
			if got.TxResults[i].Code != want[i].Code || !bytes.Equal(got.TxResults[i].Data, want[i].Data) || got.TxResults[i].Log != want[i].Log {
				t.Errorf("height %d tx %d: unchecked = %d %q %s, checked = %d %q %s", w.height, i,
					got.TxResults[i].Code, got.TxResults[i].Data, got.TxResults[i].Log, want[i].Code, want[i].Data, want[i].Log)
			}
		}
		if !bytes.Equal(got.AppHash, wantHash) {
			t.Fatalf("height %d: app hash unchecked %x, checked %x", w.height, got.AppHash, wantHash)
		}
	}
	first := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	grantReq := w.request("job-c", "tok-c", "film-1", 0x41, "mc")
	grantReq.CustomerGrant = w.grant(w.customer, "tok-c", w.stA.id, "film-1", w.now.Unix()+60)
	unknown := w.spendTx(w.stA, w.request("job-u", "tok-none", "film-1", 0x41, "mu"))
	run(first, w.spendTx(w.stA, grantReq), unknown, first)
	run(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled), w.spendTx(w.stB, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	run(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2")), w.reportTx(w.stA, "job-c", "mc", protocol.OutcomeMade))
	if c, err := w.app.Copy("job-1"); err != nil || len(c.Attempts) != 2 {
		t.Fatalf("Copy(job-1) = %+v, %v, want two attempts (the retry executed)", c, err)
	}
}

// TestVerifiedStatementsBounded: a verified transaction stays verified for
// verifiedCacheSize additions, its statement only for verifiedStatements.
func TestVerifiedStatementsBounded(t *testing.T) {
	c := newVerifiedCache()
	hash := func(i int) []byte { return Hash([]byte{byte(i), byte(i >> 8), byte(i >> 16)}) }
	st := &protocol.CopyRequest{JobID: "job"}
	const n = verifiedStatements + 10
	for i := range n {
		c.add(hash(i), st, nil)
	}
	for _, tc := range []struct {
		name   string
		i      int
		wantSt bool
	}{{"oldest", 0, false}, {"dropped last", 9, false}, {"kept first", 10, true}, {"newest", n - 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, ok := c.lookup(hash(tc.i))
			if !ok || (got != nil) != tc.wantSt {
				t.Errorf("lookup(%d) = %v, %v, want verified with statement %v", tc.i, got, ok, tc.wantSt)
			}
		})
	}
	if _, _, ok := c.lookup(hash(n)); ok {
		t.Error("lookup(never added) = verified")
	}
	var nilCache *verifiedCache
	if _, _, ok := nilCache.lookup(hash(0)); ok {
		t.Error("nil cache lookup = verified")
	}
}

// TestCheckTxRemembers: CheckTx of bytes it has already passed answers OK
// without decoding or verifying them again (a gathered statement reaches
// the mempool as the bytes its node's ledger checked). A verification
// allocates dozens of times; the remembered answer a handful.
func TestCheckTxRemembers(t *testing.T) {
	w := newWorld(t)
	// Two unseen spends: AllocsPerRun runs its function once to warm up.
	unseen := [][]byte{
		w.spendTx(w.stA, w.request("job-2", "tok-a", "film-1", 0x41, "m2")),
		w.spendTx(w.stA, w.request("job-3", "tok-a", "film-1", 0x41, "m3")),
	}
	first := testing.AllocsPerRun(1, func() {
		w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: unseen[0]})
		unseen = unseen[1:]
	})
	req := &abci.CheckTxRequest{Tx: w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))}
	if r, _ := w.app.CheckTx(context.Background(), req); Code(r.Code) != OK {
		t.Fatalf("CheckTx = %d %s, want OK", r.Code, r.Log)
	}
	again := testing.AllocsPerRun(10, func() { w.app.CheckTx(context.Background(), req) })
	if again > 5 || again >= first/4 {
		t.Errorf("CheckTx of remembered bytes made %.0f allocations, a first check %.0f: want a handful, no verification", again, first)
	}
}

// TestCheckTxRemembersBatch: a batch that passed CheckTx passes again at
// one lookup (a node checks a peer's batch before its mempool checks it
// under its lock, chain.originGossip); one that failed is not remembered.
func TestCheckTxRemembersBatch(t *testing.T) {
	w := newWorld(t)
	w.mint("tok-b", "film-1", w.stA)
	batch := mustBatch(t,
		w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")),
		w.spendTx(w.stA, w.request("job-2", "tok-b", "film-1", 0x41, "m2")))
	if w.app.Checked(batch) {
		t.Fatal("Checked(batch) before any CheckTx = true")
	}
	if r, _ := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: batch}); Code(r.Code) != OK {
		t.Fatalf("CheckTx(batch) = %d %s, want OK", r.Code, r.Log)
	}
	if !w.app.Checked(batch) {
		t.Fatal("Checked(batch) after it passed CheckTx = false")
	}
	again := testing.AllocsPerRun(10, func() { w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: batch}) })
	if again > 5 {
		t.Errorf("CheckTx of a remembered batch made %.0f allocations, want a handful: no decoding, no verification", again)
	}

	bad := w.spendTx(w.stA, w.request("job-3", "tok-b", "film-1", 0x41, "m3"))
	bad[len(bad)-1] ^= 1 // the signature's last byte
	refused := mustBatch(t, w.spendTx(w.stA, w.request("job-4", "tok-a", "film-1", 0x41, "m4")), bad)
	if r, _ := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: refused}); Code(r.Code) == OK {
		t.Fatal("CheckTx(batch with a bad signature) = OK")
	}
	if w.app.Checked(refused) {
		t.Error("Checked(batch refused by CheckTx) = true")
	}
}

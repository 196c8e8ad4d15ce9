package contract

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

func mustBatch(t *testing.T, txs ...[]byte) []byte {
	t.Helper()
	b, err := NewBatchTx(txs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBatchExecutesLikeLoneTransactions runs a batch of three spends, the
// third a double spend of the first's token, and replays the same chain
// with the three sent alone in the same block: every statement has the
// same result under its own hash, and the app hash is the same.
func TestBatchExecutesLikeLoneTransactions(t *testing.T) {
	w := newWorld(t)
	w.mint("tok-b", "film-1", w.stA)
	s1 := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	s2 := w.spendTx(w.stA, w.request("job-2", "tok-b", "film-1", 0x41, "m2"))
	dbl := w.spendTx(w.stA, w.request("job-3", "tok-a", "film-1", 0x41, "m3"))
	batch := mustBatch(t, s1, s2, dbl)
	if r, _ := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: batch}); Code(r.Code) != OK {
		t.Fatalf("CheckTx(batch) = %d %s, want OK", r.Code, r.Log)
	}
	res := w.block(batch)
	if len(res) != 1 || Code(res[0].Code) != OK || res[0].Log != "batch: 2 of 3 accepted" {
		t.Fatalf("batch result = %v, want one OK result logging 2 of 3 accepted", res)
	}
	_, got := w.app.LastCommit()

	re := newChain(t, dbm.NewMemDB(), w.gen)
	for _, txs := range w.blocks[:len(w.blocks)-1] {
		re.block(txs...)
	}
	re.block(s1, s2, dbl)
	if _, want := re.app.LastCommit(); !bytes.Equal(got, want) {
		t.Errorf("app hash after the batch = %x, after the same spends alone = %x", got, want)
	}
	for i, tx := range [][]byte{s1, s2, dbl} {
		b, ok := w.app.Result(Hash(tx))
		l, _ := re.app.Result(Hash(tx))
		if !ok || b.Code != l.Code || !bytes.Equal(b.Data, l.Data) || b.Log != l.Log {
			t.Errorf("statement %d in a batch: result %+v (found %v), alone: %+v", i, b, ok, l)
		}
	}
	if r, _ := w.app.Result(Hash(dbl)); r.Code != CodeTokenSpent {
		t.Errorf("double spend in the batch: code %v, want %v", r.Code, CodeTokenSpent)
	}
	if r, _ := w.app.Result(Hash(s1)); r.Code != OK {
		t.Errorf("first spend in the batch: code %v, want OK", r.Code)
	}
	// The token stays spent for a lone spend after the batch.
	late := w.spendTx(w.stA, w.request("job-4", "tok-b", "film-1", 0x41, "m4"))
	if r := w.one(late); Code(r.Code) != CodeTokenSpent {
		t.Errorf("spend after the batch of its token: code %d %s, want token-spent", r.Code, r.Log)
	}
}

// TestBatchRefused: CheckTx refuses a batch that breaks the envelope's
// rules, or holds one statement that fails its own checks, whole; in a
// block (a proposer need not check) a malformed batch executes none of its
// statements, and a statement with a bad signature is refused alone.
func TestBatchRefused(t *testing.T) {
	w := newWorld(t)
	good := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	forged := bytes.Clone(w.spendTx(w.stA, w.request("job-2", "tok-c", "film-1", 0x41, "m2")))
	forged[len(forged)-5] ^= 1 // inside the DER signature
	mint := w.gov(w.issuer, TxMintToken, MintTokenBody{ID: "tok-x", Title: "film-1", Owner: w.stA.pub})
	other := w.twin(t, "another-chain")
	foreign := other.spendTx(other.stA, other.request("job-9", "tok-a", "film-1", 0x41, "m9"))
	envelope := func(body []byte) []byte { return (&Tx{Type: TxBatch, Body: body}).Marshal() }
	signed := (&Tx{Type: TxBatch, Signer: w.stA.pub, Body: appendBytes(nil, good)}).Marshal()
	tooMany := make([]byte, 0)
	for range MaxBatchTxs + 1 {
		tooMany = appendBytes(tooMany, good)
	}
	for _, c := range []struct {
		name string
		tx   []byte
		code Code
		log  string
	}{
		{"empty", envelope(nil), CodeBadEncoding, "holds no transaction"},
		{"nested", envelope(appendBytes(nil, mustBatch(t, good))), CodeBadEncoding, "transaction 0 is not a spend or a report"},
		{"governance inside", envelope(appendBytes(appendBytes(nil, good), mint)), CodeBadEncoding, "transaction 1 is not a spend or a report"},
		{"signed envelope", signed, CodeBadEncoding, "no signer, nonce or signature"},
		{"truncated", envelope(appendBytes(nil, good)[:20]), CodeBadEncoding, "transaction 0"},
		{"too many", envelope(tooMany), CodeBadEncoding, "more than 256"},
		{"forged statement", mustBatch(t, good, forged), CodeBadSignature, "batch transaction 1"},
		{"another chain's statement", mustBatch(t, good, foreign), CodeWrongChain, "batch transaction 1"},
	} {
		r, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: c.tx})
		if err != nil || Code(r.Code) != c.code || !strings.Contains(r.Log, c.log) {
			t.Errorf("%s: CheckTx = %d %q, %v; want %v mentioning %q", c.name, r.Code, r.Log, err, c.code, c.log)
		}
	}

	// A malformed batch in a block: none of its statements runs.
	res := w.block(envelope(appendBytes(appendBytes(nil, good), mint)))
	if Code(res[0].Code) != CodeBadEncoding {
		t.Fatalf("malformed batch in a block: %d %s, want bad-encoding", res[0].Code, res[0].Log)
	}
	if _, ok := w.app.Result(Hash(good)); ok {
		t.Fatalf("a statement of a malformed batch has a result")
	}
	// A forged statement beside a good one: refused alone.
	res = w.block(mustBatch(t, forged, good))
	if Code(res[0].Code) != OK || res[0].Log != "batch: 1 of 2 accepted" {
		t.Fatalf("batch with a forged statement: %d %s, want OK, 1 of 2", res[0].Code, res[0].Log)
	}
	if r, _ := w.app.Result(Hash(forged)); r.Code != CodeBadSignature {
		t.Errorf("forged statement: code %v, want bad-signature", r.Code)
	}
	if r, _ := w.app.Result(Hash(good)); r.Code != OK {
		t.Errorf("good statement beside a forged one: code %v (%s), want OK", r.Code, r.Log)
	}
}

// TestBatchRepeat: a statement included again, in a second batch or
// alone, executes as a repeat and its first result stays its result.
func TestBatchRepeat(t *testing.T) {
	w := newWorld(t)
	s := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	w.block(mustBatch(t, s))
	first, _ := w.app.Result(Hash(s))
	if first.Code != OK {
		t.Fatalf("spend = %v %s, want OK", first.Code, first.Log)
	}
	w.block(mustBatch(t, s, s))
	w.block(s)
	if r, _ := w.app.Result(Hash(s)); r.Code != OK || r.Height != first.Height || !bytes.Equal(r.Data, first.Data) {
		t.Errorf("result after repeats = %+v, want the first %+v", r, first)
	}
	rep := w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade)
	w.block(mustBatch(t, rep))
	if r, _ := w.app.Result(Hash(rep)); r.Code != OK {
		t.Errorf("report in a batch = %v %s, want OK", r.Code, r.Log)
	}
}

// TestCheckTxYieldsBetweenChecks: a goroutine made ready while CheckTx
// checks a batch's signatures runs between two checks, not after the whole
// batch, even with one core to share (yieldAfterVerify). On a node that
// goroutine is the consensus state machine's, woken by a vote or a block
// part that arrived on the connection now checking the batch.
func TestCheckTxYieldsBetweenChecks(t *testing.T) {
	w := newWorld(t)
	var txs [][]byte
	for i := range 8 {
		id := fmt.Sprint(i)
		txs = append(txs, w.spendTx(w.stA, w.request("job-"+id, "tok-y"+id, "film-1", 0x41, "m"+id)))
	}
	batch := mustBatch(t, txs...)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var checking atomic.Bool
	checking.Store(true)
	ranWhile := make(chan bool, 1)
	go func() { ranWhile <- checking.Load() }() // ready, not yet run: one core, held by this goroutine
	r, _ := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: batch})
	checking.Store(false)
	if Code(r.Code) != OK {
		t.Fatalf("CheckTx(batch) = %d %s, want OK", r.Code, r.Log)
	}
	if !<-ranWhile {
		t.Error("a goroutine made ready before CheckTx ran only after CheckTx had checked the whole batch")
	}
}

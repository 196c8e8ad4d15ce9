package contract

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

func TestCodesUnique(t *testing.T) {
	names := map[string]Code{}
	for i, ci := range codeInfo {
		if i > 0 && ci.code <= codeInfo[i-1].code {
			t.Errorf("codeInfo[%d].code = %d after %d, want ascending and unique", i, ci.code, codeInfo[i-1].code)
		}
		if prev, ok := names[ci.name]; ok {
			t.Errorf("Code(%d).Name() = %q, same as Code(%d)", ci.code, ci.name, prev)
		}
		names[ci.name] = ci.code
		if ci.msg == "" {
			t.Errorf("Code(%d).Error() is empty", ci.code)
		}
	}
}

// TestDeterministicHash replays every block of a busy chain into a second
// app from the same genesis: the app hash agrees at every height, and
// differs once a block differs.
func TestDeterministicHash(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled))
	w.block(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2")), []byte("junk"))
	_, want := w.app.LastCommit()

	re := newChain(t, dbm.NewMemDB(), w.gen)
	for _, txs := range w.blocks {
		re.block(txs...)
	}
	if _, got := re.app.LastCommit(); !bytes.Equal(got, want) {
		t.Fatalf("replayed app hash = %x, want %x", got, want)
	}
	re.block()
	w.block(w.reportTx(w.stA, "job-1", "m2", protocol.OutcomeMade))
	_, a := re.app.LastCommit()
	_, b := w.app.LastCommit()
	if bytes.Equal(a, b) {
		t.Errorf("app hash after different blocks = %x on both, want different", a)
	}
}

// TestRecover reopens the app on the same database, as after a crash
// between FinalizeBlock and Commit: the committed height, hash and records
// are back, and the staged block is gone.
func TestRecover(t *testing.T) {
	db := dbm.NewMemDB()
	op := newParty(t)
	c := newChain(t, db, Genesis{Params: Params{MaxRetries: 1}, Operators: [][]byte{op.pub}})
	iss := newParty(t)
	if r := c.one(c.gov(op, TxAddIssuer, AddIssuerBody{Key: iss.pub})); r.Code != 0 {
		t.Fatalf("add issuer = %d %s", r.Code, r.Log)
	}
	h, hash := c.app.LastCommit()
	staged := c.gov(op, TxAddIssuer, AddIssuerBody{Key: newParty(t).pub})
	if _, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: h + 1, Time: c.now, Txs: [][]byte{staged}}); err != nil {
		t.Fatal(err)
	}
	re, err := New(db, Options{})
	if err != nil {
		t.Fatalf("New() after crash = %v", err)
	}
	info, err := re.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != h || !bytes.Equal(info.LastBlockAppHash, hash) {
		t.Fatalf("Info() after crash = %d %x, want %d %x", info.LastBlockHeight, info.LastBlockAppHash, h, hash)
	}
	if re.ChainID() != testChain {
		t.Errorf("ChainID() after crash = %q, want %q", re.ChainID(), testChain)
	}
	if n, _ := re.Nonce(op.id); n != 1 {
		t.Errorf("Nonce(operator) after crash = %d, want 1 (the staged tx is gone)", n)
	}
	// CometBFT replays the block: the same hash as before the crash.
	resp, err := re.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: h + 1, Time: c.now, Txs: [][]byte{staged}})
	if err != nil || resp.TxResults[0].Code != 0 {
		t.Fatalf("replayed FinalizeBlock = %v, %v", resp, err)
	}
}

// TestWatch checks a watcher gets a committed result, before or after the
// commit.
func TestWatch(t *testing.T) {
	w := newWorld(t)
	tx := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	ch, stop := w.app.Watch(Hash(tx))
	defer stop()
	w.one(tx)
	r := <-ch
	if r.Code != OK || r.Height != w.height {
		t.Fatalf("Watch() result = %+v, want OK at %d", r, w.height)
	}
	ch2, stop2 := w.app.Watch(Hash(tx))
	defer stop2()
	if r2 := <-ch2; r2.Height != r.Height {
		t.Fatalf("Watch() after commit = %+v, want %+v", r2, r)
	}
}

// TestNonceOrder: nonces may arrive out of order, each is used once, and
// nonce 0 is refused.
func TestNonceOrder(t *testing.T) {
	w := newWorld(t)
	tx := func(n uint64) []byte {
		p, err := NewTx(rand.Reader, w.op.key, w.op.pub, testChain, TxAddIssuer, n, AddIssuerBody{Key: newParty(t).pub})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	res := w.block(tx(10), tx(7), tx(10), tx(0))
	want := []Code{OK, OK, CodeBadNonce, CodeBadNonce}
	for i, r := range res {
		if Code(r.Code) != want[i] {
			t.Errorf("tx %d code = %d (%s), want %d", i, r.Code, r.Log, want[i])
		}
	}
	if n, _ := w.app.Nonce(w.op.id); n != 10 {
		t.Errorf("Nonce() = %d, want 10 (the highest used)", n)
	}
}

// TestCheckTxThenBlock: a transaction checked by CheckTx executes the same
// in FinalizeBlock (its signature check is remembered), and CheckTx refuses
// a bad signature with its code.
func TestCheckTxThenBlock(t *testing.T) {
	w := newWorld(t)
	good := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	bad, _ := DecodeTx(w.spendTx(w.stA, w.request("job-2", "tok-a", "film-1", 0x41, "m2")))
	bad.Sig[len(bad.Sig)-1] ^= 1
	for _, tc := range []struct {
		tx   []byte
		want Code
	}{{good, OK}, {bad.Marshal(), CodeBadSignature}} {
		r, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tc.tx})
		if err != nil || Code(r.Code) != tc.want {
			t.Fatalf("CheckTx() = %v, %v, want code %d", r, err, tc.want)
		}
	}
	res := w.block(good, bad.Marshal())
	if Code(res[0].Code) != OK || Code(res[1].Code) != CodeBadSignature {
		t.Fatalf("block codes = %d, %d, want %d, %d", res[0].Code, res[1].Code, OK, CodeBadSignature)
	}
}

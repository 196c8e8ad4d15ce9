package contract

import (
	"bytes"
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// TestGrantMemo: CheckTx records a kiosk spend's grant as verified against
// the token's committed owner, and only a valid grant; execution skips the
// verification only for that very owner, so a token that changes hands
// between CheckTx and the block is judged by its new owner.
func TestGrantMemo(t *testing.T) {
	w := newWorld(t)
	// checked is station A's spend of tok with signer's grant, through
	// CheckTx.
	checked := func(job, tok string, signer *party) []byte {
		t.Helper()
		req := w.request(job, tok, "film-1", 0x41, "m-"+job)
		req.CustomerGrant = w.grant(signer, tok, w.stA.id, "film-1", w.now.Unix()+60)
		tx := w.spendTx(w.stA, req)
		if r, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx}); err != nil || r.Code != uint32(OK) {
			t.Fatalf("CheckTx(%s) = %v, %v", job, r, err)
		}
		return tx
	}
	bob := newParty(t)

	// A valid grant is recorded against the owner it verified with.
	ok := checked("job-c", "tok-c", w.customer)
	if !keptOwner(w, Hash(ok), w.customer.pub) {
		t.Error("a valid grant is not recorded as verified against its owner")
	}
	if keptOwner(w, Hash(ok), bob.pub) {
		t.Error("a grant is recorded as verified against a key that did not sign it")
	}

	// A grant signed by someone else is not recorded, and the block
	// refuses it as before.
	w.mint("tok-f", "film-1", w.customer)
	bad := checked("job-f", "tok-f", bob)
	if keptOwner(w, Hash(bad), w.customer.pub) || keptOwner(w, Hash(bad), bob.pub) {
		t.Error("a grant not signed by the token's owner is recorded as verified")
	}
	if res := w.block(bad); res[0].Code != uint32(CodeNotOwner) {
		t.Errorf("spend with another's grant = %d %s, want %d", res[0].Code, res[0].Log, CodeNotOwner)
	}

	// Verified against the owner at CheckTx; the token is given to bob in
	// the same block, before the spend: the spend is judged by bob's key,
	// which did not sign the grant.
	w.mint("tok-g", "film-1", w.customer)
	spend := checked("job-g", "tok-g", w.customer)
	if !keptOwner(w, Hash(spend), w.customer.pub) {
		t.Fatal("the grant for tok-g is not recorded")
	}
	res := w.block(w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "tok-g", NewOwner: bob.pub}), spend)
	if res[0].Code != uint32(OK) || res[1].Code != uint32(CodeNotOwner) {
		t.Errorf("transfer, then spend with the old owner's grant = %d, %d %s; want %d, %d", res[0].Code, res[1].Code, res[1].Log, OK, CodeNotOwner)
	}

	// The memo's own spend still executes.
	if res := w.block(ok); res[0].Code != uint32(OK) {
		t.Errorf("spend with a verified grant = %d %s, want OK", res[0].Code, res[0].Log)
	}
}

// keptOwner reports whether the verified cache keeps owner as the key the
// transaction's grant verified against in CheckTx.
func keptOwner(w *world, h []byte, owner []byte) bool {
	_, got, ok := w.app.verified.lookup(h)
	return ok && len(got) > 0 && bytes.Equal(got, owner)
}

// TestGrantMemoBounded: a grant's verified owner is dropped with the
// statement, after verifiedStatements newer transactions, and a nil cache
// knows none.
func TestGrantMemoBounded(t *testing.T) {
	c := newVerifiedCache()
	hash := func(i int) []byte { return Hash([]byte{byte(i), byte(i >> 8), byte(i >> 16)}) }
	owner := []byte("owner")
	for i := range verifiedStatements + 1 {
		c.add(hash(i), &protocol.CopyRequest{JobID: "job"}, owner)
	}
	kept := func(c *verifiedCache, i int) bool {
		_, got, ok := c.lookup(hash(i))
		return ok && bytes.Equal(got, owner)
	}
	if kept(c, 0) {
		t.Error("the oldest entry's owner is kept past verifiedStatements newer ones")
	}
	if !kept(c, verifiedStatements) || !kept(c, 1) {
		t.Error("a recent entry's owner is dropped")
	}
	var nilCache *verifiedCache
	if kept(nilCache, 1) {
		t.Error("a nil cache reports a grant verified")
	}
}

package contract

import "testing"

// TestBlockSeesItsOwnWrites: a block reads each committed key once and
// decodes a station or title once (getDecoded), yet every transaction
// still sees what the ones before it in the same block wrote: a second
// spend of a token in the block is refused, and a station revoked in the
// middle of a block can no longer spend after it although its record was
// decoded before.
func TestBlockSeesItsOwnWrites(t *testing.T) {
	w := newWorld(t)
	w.mint("tok-1", "film-1", w.stA)
	w.mint("tok-2", "film-1", w.stA)
	spend := func(job, tok string) []byte {
		return w.spendTx(w.stA, w.request(job, tok, "film-1", 0x41, "m-"+job))
	}
	res := w.block(
		spend("job-1", "tok-a"),
		spend("job-2", "tok-a"), // the same token again, another job
		spend("job-3", "tok-1"),
		w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: w.stA.id, Reason: "tamper"}),
		spend("job-4", "tok-2"),
	)
	want := []Code{OK, CodeTokenSpent, OK, OK, CodeStationRevoked}
	for i, r := range res {
		if Code(r.Code) != want[i] {
			t.Errorf("tx %d: code %d (%s), want %d", i, r.Code, r.Log, want[i])
		}
	}
	if tok, err := w.app.Token("tok-2"); err != nil || tok.State != TokenUnspent {
		t.Errorf("Token(tok-2) = %+v, %v; want unspent", tok, err)
	}
}

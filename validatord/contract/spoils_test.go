package contract

import (
	"testing"

	"copystation/protocol"
)

// TestSpoilBudget: a station that claims spoils gets no more retries per
// period than its operator-set limit; its tally is in the agreed state; a
// new period restores the budget; only an operator may set a limit.
func TestSpoilBudget(t *testing.T) {
	w := newWorld(t)
	w.mint("tok-b", "film-1", w.stA)
	if r := w.one(w.gov(w.issuer, TxSetSpoilLimit, SetSpoilLimitBody{Station: w.stA.id, Limit: 1})); Code(r.Code) != CodeNotOperator {
		t.Fatalf("SetSpoilLimit by an issuer = %d (%s), want %d", r.Code, r.Log, CodeNotOperator)
	}
	_, before := w.app.LastCommit()
	w.mustOK(w.gov(w.op, TxSetSpoilLimit, SetSpoilLimitBody{Station: w.stA.id, Limit: 1}))
	if _, after := w.app.LastCommit(); string(after) == string(before) {
		t.Fatalf("app hash unchanged by a spoil limit")
	}
	spoil := func(job, token, media string) {
		w.mustOK(w.spendTx(w.stA, w.request(job, token, "film-1", 0x41, media)))
		w.mustOK(w.reportTx(w.stA, job, media, protocol.OutcomeSpoiled))
	}
	spoil("job-1", "tok-a", "m1") // 1 spoil this period: within the limit of 1
	spoil("job-1", "tok-a", "m2") // the retry; now 2
	if r := w.one(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m3"))); Code(r.Code) != CodeSpoilBudget {
		t.Fatalf("retry past the spoil budget = %d (%s), want %d", r.Code, r.Log, CodeSpoilBudget)
	}
	spoil("job-2", "tok-b", "m4") // a first attempt is never held back; a retry is
	if r := w.one(w.spendTx(w.stA, w.request("job-2", "tok-b", "film-1", 0x41, "m5"))); Code(r.Code) != CodeSpoilBudget {
		t.Fatalf("other job's retry past the spoil budget = %d (%s), want %d", r.Code, r.Log, CodeSpoilBudget)
	}
	sc, err := w.app.Spoils(w.stA.id)
	if err != nil || sc.Count != 3 || sc.Total != 3 {
		t.Fatalf("Spoils(stA) = %+v, %v, want 3 this period, 3 in all", sc, err)
	}
	if sc, _ := w.app.Spoils(w.stB.id); sc.Total != 0 {
		t.Errorf("Spoils(stB) = %+v, want none", sc)
	}
	w.now = w.now.Add(24 * 3600e9) // the next period
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m3")))
	w.mustOK(w.gov(w.op, TxSetSpoilLimit, SetSpoilLimitBody{Station: w.stA.id, Limit: 5}))
	w.mustOK(w.spendTx(w.stA, w.request("job-2", "tok-b", "film-1", 0x41, "m5")))
}

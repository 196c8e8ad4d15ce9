package contract

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"copystation/protocol"
)

func TestReportRules(t *testing.T) { runRules(t, reportCases()) }

func reportCases() []ruleCase {
	spent := func(w *world) { w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))) }
	spoiled := func(w *world) {
		spent(w)
		w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled))
	}
	return []ruleCase{
		{name: "made", want: OK, setup: spent, tx: func(w *world) []byte { return w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade) }},
		{name: "spoiled", want: OK, setup: spent, tx: func(w *world) []byte { return w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled) }},
		{name: "reported twice", want: CodeAlreadyReported, setup: spoiled, tx: func(w *world) []byte {
			return w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade)
		}},
		{name: "other disc", want: CodeReportMismatch, setup: spent, tx: func(w *world) []byte { return w.reportTx(w.stA, "job-1", "m9", protocol.OutcomeMade) }},
		{name: "unknown job", want: CodeUnknownCopy, tx: func(w *world) []byte { return w.reportTx(w.stA, "job-9", "m1", protocol.OutcomeMade) }},
		{name: "by another station", want: CodeJobConflict, setup: spent, tx: func(w *world) []byte {
			return w.reportTx(w.stB, "job-1", "m1", protocol.OutcomeMade)
		}},
		{name: "bad outcome", want: CodeBadField, setup: spent, tx: func(w *world) []byte { return w.reportTx(w.stA, "job-1", "m1", 7) }},
		{name: "retry after spoiled", want: OK, setup: spoiled, tx: func(w *world) []byte {
			return w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2"))
		}},
		{name: "spend after made", want: CodeCopyMade, setup: func(w *world) {
			spent(w)
			w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade))
		}, tx: func(w *world) []byte { return w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")) }},
		{name: "retries exhausted", want: CodeRetriesExhausted, setup: func(w *world) {
			spoiled(w)
			for _, m := range []string{"m2", "m3"} { // MaxRetries is 2
				w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, m)))
				w.mustOK(w.reportTx(w.stA, "job-1", m, protocol.OutcomeSpoiled))
			}
		}, tx: func(w *world) []byte { return w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m4")) }},
		{name: "report replayed against a retry on the same disc", want: CodeReportReplayed, tx: func(w *world) []byte {
			spent(w)
			first := w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled)
			w.mustOK(first)
			w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))) // the BD-RE, reformatted
			return first
		}},
		{name: "a fresh report of the retry on the same disc", want: OK, setup: func(w *world) {
			spoiled(w)
			w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
		}, tx: func(w *world) []byte { return w.reportTxIn(w.stA, "hh-2", "job-1", "m1", protocol.OutcomeMade) }},
		{name: "station repeats its report", want: OK, setup: spoiled, tx: func(w *world) []byte {
			return w.reportTxIn(w.stA, "hh-again", "job-1", "m1", protocol.OutcomeSpoiled)
		}},
		{name: "repeated report replayed against a retry", want: CodeReportReplayed, tx: func(w *world) []byte {
			spoiled(w)
			again := w.reportTxIn(w.stA, "hh-again", "job-1", "m1", protocol.OutcomeSpoiled)
			w.mustOK(again)
			w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
			return again
		}},
		{name: "retry bound to the station's repeated report", want: OK, setup: func(w *world) {
			spoiled(w)
			w.mustOK(w.reportTxIn(w.stA, "hh-again", "job-1", "m1", protocol.OutcomeSpoiled))
		}, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m2")
			rep := &protocol.CopyReport{ChainID: w.chainID, HandshakeHash: []byte("hh-again"), JobID: "job-1", MediaID: []byte("m1"),
				Outcome: protocol.OutcomeSpoiled, DiscDigest: make([]byte, 32), Reason: "test"}
			req.PrevReport = protocol.ReportDigest(rep)
			return w.spendTx(w.stA, req)
		}},
		{name: "first spend names a retry", want: CodeAttemptMismatch, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m1")
			req.Attempt = 1
			return w.spendTx(w.stA, req)
		}},
		{name: "retry names attempt 0 again", want: CodeAttemptMismatch, setup: spoiled, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m2")
			req.Attempt, req.PrevReport = 0, nil
			return w.spendTx(w.stA, req)
		}},
		{name: "retry names a report that closed nothing", want: CodeAttemptMismatch, setup: spoiled, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m2")
			req.PrevReport = make([]byte, 32)
			return w.spendTx(w.stA, req)
		}},
		{name: "pending attempt asked for as the next", want: CodeAttemptMismatch, setup: spent, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m1")
			req.Attempt = 1
			return w.spendTx(w.stA, req)
		}},
		{name: "report names another attempt", want: CodeReportMismatch, setup: spent, tx: func(w *world) []byte {
			rep := &protocol.CopyReport{ChainID: w.chainID, HandshakeHash: []byte("hh"), JobID: "job-1", Attempt: 1, MediaID: []byte("m1"),
				Outcome: protocol.OutcomeSpoiled, DiscDigest: make([]byte, 32)}
			return w.signedReport(w.stA, rep)
		}},
		{name: "retry past the station's spoil budget", want: CodeSpoilBudget, setup: func(w *world) {
			w.mustOK(w.gov(w.op, TxSetSpoilLimit, SetSpoilLimitBody{Station: w.stA.id, Limit: 0}))
			spoiled(w)
		}, tx: func(w *world) []byte { return w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2")) }},
		{name: "spoil limit for an unknown station", want: CodeUnknownStation, tx: func(w *world) []byte {
			return w.gov(w.op, TxSetSpoilLimit, SetSpoilLimitBody{Station: "nope", Limit: 1})
		}},
		{name: "spend for another network", want: CodeWrongChain, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m1")
			req.ChainID = "copystation-other"
			return w.spendTx(w.stA, req)
		}},
		{name: "kiosk retry after the grant expired", want: OK, setup: kioskSpoiled, tx: func(w *world) []byte {
			return w.kioskRetry(w.now.Add(-kioskWait).Unix()+60, "m2") // the first grant
		}},
		{name: "kiosk retry with a grant expired before the first attempt", want: CodeGrantExpired, setup: kioskSpoiled, tx: func(w *world) []byte {
			return w.kioskRetry(w.now.Add(-kioskWait).Unix()-1, "m2")
		}},
		{name: "kiosk retry with another customer's grant", want: CodeNotOwner, setup: kioskSpoiled, tx: func(w *world) []byte {
			req := w.request("job-c", "tok-c", "film-1", 0x41, "m2")
			req.CustomerGrant = w.grant(w.issuer, "tok-c", w.stA.id, "film-1", w.now.Unix()+60)
			return w.spendTx(w.stA, req)
		}},
		{name: "retry by revoked station", want: CodeStationRevoked, setup: func(w *world) {
			spoiled(w)
			w.mustOK(w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: w.stA.id}))
		}, tx: func(w *world) []byte { return w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2")) }},
	}
}

// kioskSpoiled spends the customer's token tok-c under a grant that
// expires a minute later, spoils the disc, and lets kioskWait pass.
func kioskSpoiled(w *world) {
	req := w.request("job-c", "tok-c", "film-1", 0x41, "m1")
	req.CustomerGrant = w.grant(w.customer, "tok-c", w.stA.id, "film-1", w.now.Unix()+60)
	w.mustOK(w.spendTx(w.stA, req))
	w.mustOK(w.reportTx(w.stA, "job-c", "m1", protocol.OutcomeSpoiled))
	w.now = w.now.Add(kioskWait)
}

const kioskWait = 2 * time.Hour

// kioskRetry is job-c's retry on media with a customer grant expiring at
// expiry (the retry's challenge is fresh).
func (w *world) kioskRetry(expiry int64, media string) []byte {
	req := w.request("job-c", "tok-c", "film-1", 0x41, media)
	req.CustomerGrant = w.grant(w.customer, "tok-c", w.stA.id, "film-1", expiry)
	return w.spendTx(w.stA, req)
}

// TestSpendIdempotentReceipt checks a repeated spend answers with the
// first spend's height and transaction hash, and the record keeps every
// attempt.
func TestSpendIdempotentReceipt(t *testing.T) {
	w := newWorld(t)
	first := w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	again := w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	if !bytes.Equal(first.Data, again.Data) {
		t.Fatalf("repeat spend receipt = %s, want %s", again.Data, first.Data)
	}
	var rc Receipt
	if err := json.Unmarshal(first.Data, &rc); err != nil || rc.Height != w.height-1 || rc.Attempt != 0 {
		t.Fatalf("receipt = %+v (%v), want height %d attempt 0", rc, err, w.height-1)
	}
	w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled))
	retry := w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2")))
	if err := json.Unmarshal(retry.Data, &rc); err != nil || rc.Attempt != 1 || rc.Height != w.height {
		t.Fatalf("retry receipt = %+v (%v), want attempt 1 at height %d", rc, err, w.height)
	}
	c, err := w.app.Copy("job-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Attempts) != 2 || c.Attempts[0].Outcome != OutcomeSpoiled || c.Attempts[1].Outcome != OutcomePending {
		t.Fatalf("Copy(job-1) attempts = %+v, want spoiled then pending", c.Attempts)
	}
	tok, _ := w.app.Token("tok-a")
	if tok.State != TokenSpent || tok.Job != "job-1" {
		t.Errorf("Token(tok-a) = %+v, want spent by job-1", tok)
	}
	list, err := w.app.Copies("token", "tok-a", 10)
	if err != nil || len(list) != 1 || list[0].JobID != "job-1" {
		t.Errorf("Copies(token, tok-a) = %v, %v, want [job-1]", list, err)
	}
}

// TestSameBlockDoubleSpend puts two stations' spends of one token in one
// block: the first in block order wins, the second is refused.
func TestSameBlockDoubleSpend(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "tok-c", NewOwner: w.stB.pub}))
	w.mustOK(w.gov(w.stB, TxTransferToken, TransferTokenBody{ID: "tok-c", NewOwner: w.stA.pub}))
	res := w.block(
		w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")),
		w.spendTx(w.stA, w.request("job-2", "tok-a", "film-1", 0x41, "m2")),
	)
	if Code(res[0].Code) != OK || Code(res[1].Code) != CodeTokenSpent {
		t.Fatalf("block codes = %d, %d, want %d, %d", res[0].Code, res[1].Code, OK, CodeTokenSpent)
	}
}

// TestEveryCodeTested checks the rule tables refuse with every code a
// transaction can get (OK, the query-only not-found and the CheckTx-only
// bad-deal aside).
func TestEveryCodeTested(t *testing.T) {
	// bad-deal is a node's own CheckTx refusal, never FinalizeBlock's:
	// TestCheckTxBadDeal.
	seen := map[Code]bool{OK: true, CodeNotFound: true, CodeBadDeal: true}
	for _, c := range accusationCodes { // TestAccusation: needs a custody group
		seen[c] = true
	}
	for _, c := range validatorCodes { // TestValidatorJoinAndLeave, TestValidatorRefusals: need validators
		seen[c] = true
	}
	for _, c := range epochCodes { // TestCustodyEpoch: needs a resharing
		seen[c] = true
	}
	for _, c := range ownerCodes { // TestRegisterOwner
		seen[c] = true
	}
	for _, cs := range [][]ruleCase{governanceCases(), spendCases(), reportCases(), playerCases()} {
		for _, c := range cs {
			seen[c.want] = true
		}
	}
	for _, ci := range codeInfo {
		if !seen[ci.code] {
			t.Errorf("no rule case expects code %d (%s)", ci.code, ci.name)
		}
	}
}

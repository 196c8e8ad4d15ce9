package contract

import (
	"bytes"
	"encoding/json"

	"copystation/keys"
	"copystation/protocol"
)

// spend runs the spend rules. A repeat of a committed job by the same
// station, token and disc is idempotent: it succeeds with the original
// receipt. A spoiled job may start a new attempt, within the retry bound.
// st is the request as verification decoded it (nil: decode it here); the
// rules only read it.
func (e *execEnv) spend(v *view, t *Tx, st protocol.Statement) ([]byte, *refusal, error) {
	req, _ := st.(*protocol.CopyRequest)
	if req == nil {
		var b SpendBody
		if r := decodeBody(t, &b); r != nil {
			return nil, r, nil
		}
		req = &b.Request
	}
	if r := checkSpendFields(req); r != nil {
		return nil, r, nil
	}
	stn, r, err := e.activeStation(v, t.Signer)
	if r != nil || err != nil {
		return nil, r, err
	}
	if e.time > req.ChallengeExpiry {
		return nil, refuse(CodeChallengeExpired, "challenge expired at %d, block time %d", req.ChallengeExpiry, e.time), nil
	}
	var c Copy
	found, err := v.getJSON(keyCopy(req.JobID), &c)
	if err != nil {
		return nil, nil, err
	}
	if found {
		return e.respend(v, &c, stn, req)
	}
	if req.Attempt != 0 || len(req.PrevReport) != 0 {
		return nil, refuse(CodeAttemptMismatch, "job %s has no spend yet; its first spend is attempt 0 with no previous report, not attempt %d", req.JobID, req.Attempt), nil
	}
	tok, ti, r, err := e.authorise(v, stn, req, e.time)
	if r != nil || err != nil {
		return nil, r, err
	}
	if tok.State != TokenUnspent {
		return nil, refuse(CodeTokenSpent, "token %s was spent by job %s", tok.ID, tok.Job), nil
	}
	tok.State, tok.Job = TokenSpent, req.JobID
	indexToken(v, tok.OwnerID, tok.ID, tok.State)
	if err := v.putJSON(keyToken(tok.ID), tok); err != nil {
		return nil, nil, err
	}
	c = Copy{JobID: req.JobID, Token: tok.ID, Title: ti.ID, Station: stn.ID, Profile: req.Profile}
	v.put(keyByStation(stn.ID, c.JobID), []byte{})
	return e.newAttempt(v, &c, req)
}

// respend handles a spend for a job that already has a copy record.
func (e *execEnv) respend(v *view, c *Copy, st *Station, req *protocol.CopyRequest) ([]byte, *refusal, error) {
	if c.Station != st.ID || c.Token != req.TokenID || c.Title != req.TitleID || c.Profile != req.Profile {
		return nil, refuse(CodeJobConflict, "job %s is recorded for token %s, station %s, profile %#x", c.JobID, c.Token, c.Station, c.Profile), nil
	}
	cur := c.Current()
	switch cur.Outcome {
	case OutcomePending:
		if req.Attempt != uint32(c.Retries()) {
			return nil, refuse(CodeAttemptMismatch, "job %s has attempt %d pending; the spend names attempt %d", c.JobID, c.Retries(), req.Attempt), nil
		}
		if !bytes.Equal(cur.MediaID, req.MediaID) {
			return nil, refuse(CodeAttemptPending, "job %s attempt %d is on another disc", c.JobID, c.Retries()), nil
		}
		return receipt(c), nil, nil // idempotent: the same answer again
	case OutcomeMade:
		return nil, refuse(CodeCopyMade, "job %s was made at height %d", c.JobID, cur.ReportHeight), nil
	}
	// The current attempt is spoiled. A retry must name the next attempt
	// and a report that closed this one: the first spend, replayed after
	// the spoil in any encoding, names attempt 0 and is refused here
	// rather than opening an attempt on the spoiled disc.
	if r, err := e.checkRetryBinding(v, c, req); r != nil || err != nil {
		return nil, r, err
	}
	p, err := e.params(v)
	if err != nil {
		return nil, nil, err
	}
	if uint32(c.Retries()) >= p.MaxRetries {
		return nil, refuse(CodeRetriesExhausted, "job %s has had %d retries, limit %d", c.JobID, c.Retries(), p.MaxRetries), nil
	}
	if r, err := e.checkSpoilBudget(v, st.ID, p); r != nil || err != nil {
		return nil, r, err
	}
	// A retry is authorised afresh, but a customer grant is held to the
	// first attempt's block time: the customer authorised this copy then,
	// and a kiosk grant lasts minutes while a burn and its verification
	// last longer, so a disc spoiled after it expired must still be
	// retried under the same spend.
	if _, _, r, err := e.authorise(v, st, req, c.Attempts[0].Time); r != nil || err != nil {
		return nil, r, err
	}
	return e.newAttempt(v, c, req)
}

// authorise checks the token, title, format and ownership for a request; a
// customer grant must be unexpired at grantTime.
func (e *execEnv) authorise(v *view, st *Station, req *protocol.CopyRequest, grantTime int64) (*Token, *Title, *refusal, error) {
	var tok Token
	if found, err := v.getJSON(keyToken(req.TokenID), &tok); err != nil || !found {
		return nil, nil, refuse(CodeUnknownToken, "token %q", req.TokenID), err
	}
	if tok.Title != req.TitleID {
		return nil, nil, refuse(CodeTitleMismatch, "token %s is for title %s, request names %s", tok.ID, tok.Title, req.TitleID), nil
	}
	ti, found, err := getDecoded[Title](e, v, keyTitle(tok.Title))
	if err != nil || !found {
		return nil, nil, refuse(CodeUnknownTitle, "title %q", tok.Title), err
	}
	if !st.Allows(req.Profile) {
		return nil, nil, refuse(CodeFormatNotAllowed, "station %s may not write profile %#x", st.ID, req.Profile), nil
	}
	if _, ok := ti.Format(req.Profile); !ok {
		return nil, nil, refuse(CodeFormatNotAllowed, "title %s has no layout for profile %#x", ti.ID, req.Profile), nil
	}
	if tok.OwnerID == st.ID { // a home appliance owns its tokens
		if len(req.CustomerGrant) != 0 {
			return nil, nil, refuse(CodeBadGrant, "a station-owned token takes no customer grant"), nil
		}
		return &tok, ti, nil, nil
	}
	if len(req.CustomerGrant) == 0 {
		return nil, nil, refuse(CodeNotOwner, "token %s is owned by %s, not station %s, and no customer grant is given", tok.ID, tok.OwnerID, st.ID), nil
	}
	g, sig, err := DecodeGrant(req.CustomerGrant)
	if err != nil {
		return nil, nil, refuse(CodeBadGrant, "%v", err), nil
	}
	if g.ChainID != e.chainID {
		return nil, nil, refuse(CodeGrantMismatch, "the customer authorised a copy on network %q; this is %q", g.ChainID, e.chainID), nil
	}
	if g.TokenID != tok.ID || g.StationID != st.ID || g.TitleID != ti.ID {
		return nil, nil, refuse(CodeGrantMismatch, "grant names token %s, station %s, title %s", g.TokenID, g.StationID, g.TitleID), nil
	}
	if !e.grantVerified(tok.Owner) { // grantmemo.go
		if err := protocol.Verify(tok.Owner, g, sig); err != nil {
			return nil, nil, refuse(CodeNotOwner, "customer grant is not signed by the owner of token %s: %v", tok.ID, err), nil
		}
	}
	if grantTime > g.Expiry {
		return nil, nil, refuse(CodeGrantExpired, "grant expired at %d, authorised at block time %d", g.Expiry, grantTime), nil
	}
	return &tok, ti, nil, nil
}

// checkRetryBinding refuses a retry that does not name the job's next
// attempt and a recorded report (the first or a station's repeat) that
// spoiled the current one.
func (e *execEnv) checkRetryBinding(v *view, c *Copy, req *protocol.CopyRequest) (*refusal, error) {
	next := uint32(len(c.Attempts))
	if req.Attempt != next {
		return refuse(CodeAttemptMismatch, "job %s: attempt %d was spoiled, so a retry is attempt %d; the spend names attempt %d", c.JobID, next-1, next, req.Attempt), nil
	}
	// A record written before reports carried their attempt holds only the
	// job ID, not JSON: it names no attempt, so it binds no retry.
	var rec reportRecord
	p, err := v.get(keyReport(req.PrevReport))
	if err != nil {
		return nil, err
	}
	if p == nil || json.Unmarshal(p, &rec) != nil || rec.Job != c.JobID || rec.Attempt != next-1 || rec.Outcome != OutcomeSpoiled {
		return refuse(CodeAttemptMismatch, "job %s: the retry's previous report %x is not a recorded report that spoiled attempt %d", c.JobID, req.PrevReport, next-1), nil
	}
	return nil, nil
}

// reportRecord is what keyReport holds: which attempt a signed report
// closed, and how.
type reportRecord struct {
	Job     string `json:"job"`
	Attempt uint32 `json:"attempt"`
	Outcome string `json:"outcome"`
}

// newAttempt records a disc attempt authorised by this transaction.
func (e *execEnv) newAttempt(v *view, c *Copy, req *protocol.CopyRequest) ([]byte, *refusal, error) {
	mediaID := req.MediaID
	a := Attempt{MediaID: mediaID, Height: e.height, TxHash: e.txHash, Statement: StatementDigest(req), Time: e.time, Outcome: OutcomePending}
	c.Attempts = append(c.Attempts, a)
	if err := v.putJSON(keyCopy(c.JobID), c); err != nil {
		return nil, nil, err
	}
	return receipt(c), nil, nil
}

func receipt(c *Copy) []byte {
	cur := c.Current()
	js, _ := json.Marshal(Receipt{Height: cur.Height, TxHash: cur.TxHash, Attempt: c.Retries()})
	return js
}

// report records the current attempt made or spoiled, once. st is the
// report as verification decoded it (nil: decode it here); it is only read.
func (e *execEnv) report(v *view, t *Tx, st protocol.Statement) (*refusal, error) {
	rep, _ := st.(*protocol.CopyReport)
	if rep == nil {
		var b ReportBody
		if r := decodeBody(t, &b); r != nil {
			return r, nil
		}
		rep = &b.Report
	}
	if r := checkID("job ID", rep.JobID); r != nil {
		return r, nil
	}
	if rep.Outcome != protocol.OutcomeMade && rep.Outcome != protocol.OutcomeSpoiled {
		return refuse(CodeBadField, "outcome %d, want 1 (made) or 2 (spoiled)", rep.Outcome), nil
	}
	if r := checkBytes("disc digest", rep.DiscDigest, 0, 64); r != nil {
		return r, nil
	}
	if r := checkText("reason", rep.Reason, MaxNameLen); r != nil {
		return r, nil
	}
	if rep.Outcome == protocol.OutcomeMade && len(rep.DiscDigest) < 32 {
		return refuse(CodeBadField, "a made copy needs the disc digest (32 to 64 bytes)"), nil
	}
	stn, r, err := e.activeStation(v, t.Signer)
	if r != nil || err != nil {
		return r, err
	}
	var c Copy
	if found, err := v.getJSON(keyCopy(rep.JobID), &c); err != nil || !found {
		return refuse(CodeUnknownCopy, "job %q", rep.JobID), err
	}
	if c.Station != stn.ID {
		return refuse(CodeJobConflict, "job %s belongs to station %s", c.JobID, c.Station), nil
	}
	// A signed report is public once broadcast: each one counts once, so a
	// report can't be played again, not even for the attempt it names.
	d := StatementDigest(rep)
	if seen, err := v.get(keyReport(d)); err != nil || seen != nil {
		return refuse(CodeReportReplayed, "job %s: report %x was recorded before", c.JobID, d[:8]), err
	}
	cur := c.Current()
	if rep.Attempt != uint32(c.Retries()) {
		return refuse(CodeReportMismatch, "job %s is at attempt %d, the report names attempt %d", c.JobID, c.Retries(), rep.Attempt), nil
	}
	if !bytes.Equal(cur.MediaID, rep.MediaID) {
		return refuse(CodeReportMismatch, "job %s is on media %x, report names %x", c.JobID, cur.MediaID, rep.MediaID), nil
	}
	outcome := OutcomeSpoiled
	if rep.Outcome == protocol.OutcomeMade {
		outcome = OutcomeMade
	}
	if cur.Outcome != OutcomePending {
		if cur.Outcome != outcome || !bytes.Equal(cur.DiscDigest, rep.DiscDigest) {
			return refuse(CodeAlreadyReported, "job %s attempt %d was reported %s", c.JobID, c.Retries(), cur.Outcome), nil
		}
		// The station's repeat of its report (its receipt was lost):
		// accepted, changing nothing but being recorded, so it too can
		// never count for a later attempt, and a retry may name it.
		return nil, v.putJSON(keyReport(d[:]), reportRecord{Job: c.JobID, Attempt: rep.Attempt, Outcome: outcome})
	}
	cur.Outcome, cur.DiscDigest, cur.Reason, cur.ReportDigest, cur.ReportHeight = outcome, rep.DiscDigest, rep.Reason, d[:], e.height
	if err := e.countReport(v, stn.ID, outcome); err != nil {
		return nil, err
	}
	if err := v.putJSON(keyReport(d[:]), reportRecord{Job: c.JobID, Attempt: rep.Attempt, Outcome: outcome}); err != nil {
		return nil, err
	}
	return nil, v.putJSON(keyCopy(c.JobID), c)
}

// activeStation finds the station that signed and checks it is active.
func (e *execEnv) activeStation(v *view, signer []byte) (*Station, *refusal, error) {
	id := protocol.KeyID(signer)
	st, found, err := getDecoded[Station](e, v, keyStation(id))
	if err != nil || !found {
		return nil, refuse(CodeUnknownStation, "station %s", id), err
	}
	if !bytes.Equal(st.SigningKey, signer) {
		return nil, refuse(CodeUnknownStation, "station %s is enrolled with another key", id), nil
	}
	if st.Status != StationActive {
		return nil, refuse(CodeStationRevoked, "station %s revoked at height %d: %s", id, st.RevokedHeight, st.RevokedReason), nil
	}
	return st, nil, nil
}

func (e *execEnv) params(v *view) (*Params, error) {
	var p Params
	if _, err := v.getJSON(keyParams, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func checkSpendFields(req *protocol.CopyRequest) *refusal {
	if r := checkID("job ID", req.JobID); r != nil {
		return r
	}
	if r := checkID("token ID", req.TokenID); r != nil {
		return r
	}
	if r := checkID("title ID", req.TitleID); r != nil {
		return r
	}
	return checkBytes("media ID", req.MediaID, 1, keys.MaxMediaIDLen)
}

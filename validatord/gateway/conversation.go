package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

// conv is one connection's conversation.
type conv struct {
	s    *Server
	ctx  context.Context
	conn net.Conn
	t    *ticket
	ch   *protocol.Channel
	chal *protocol.ChallengeMsg
	// why is the ledger's own account of a refusal, for the node's log
	// only (the station is told what ledgerText says).
	why error
	// epoch is the custody epoch in force, sent before a KeyRelease
	// (protocol message 12); nil at epoch 0
	epoch *protocol.EpochMsg
}

func (c *conv) deadline(d time.Duration) time.Time { return c.s.cfg.Now().Add(d) }

// within is d from now, cut short by end.
func (c *conv) within(d time.Duration, end time.Time) time.Time {
	if t := c.deadline(d); t.Before(end) {
		return t
	}
	return end
}

// serveConn runs one conversation and closes the connection.
func (s *Server) serveConn(ctx context.Context, conn net.Conn, t *ticket) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c := &conv{s: s, ctx: ctx, conn: conn, t: t}
	if r, err := c.run(); err != nil {
		s.log.note(r, t.src, fmt.Sprintf("%s: %v", conn.RemoteAddr(), err))
	}
}

// run holds the conversation; an error comes with the reason it is
// logged under.
func (c *conv) run() (reason, error) {
	cfg := &c.s.cfg
	phaseEnd := c.deadline(cfg.RequestTimeout)
	// a station writes its first handshake message as soon as it has
	// connected: a peer that doesn't is let go after HandshakeTimeout
	c.conn.SetDeadline(c.within(cfg.HandshakeTimeout, phaseEnd))
	ch, err := protocol.ServerHandshake(c.conn, cfg.NoiseKey, cfg.Random)
	if err != nil {
		return reasonHandshake, err
	}
	c.ch = ch
	// A station's messages each fit one frame: nothing to reassemble.
	ch.MaxMessage = protocol.MaxFrame
	nonce := make([]byte, protocol.NonceLen)
	// ReadFull: an injected reader may return fewer bytes than asked, and a
	// partly zero nonce is a guessable one.
	if _, err := io.ReadFull(cfg.Random, nonce); err != nil {
		return reasonConn, fmt.Errorf("nonce: %w", err)
	}
	chainID, err := cfg.Ledger.ChainID(c.ctx)
	if err != nil {
		return reasonConn, fmt.Errorf("chain ID: %w", err)
	}
	c.chal = &protocol.ChallengeMsg{Nonce: nonce, NodeID: c.s.nodeID,
		Expiry: cfg.Now().Add(cfg.ChallengeTTL).Unix(), HandshakeHash: ch.HandshakeHash(), ChainID: chainID}
	c.conn.SetDeadline(c.within(cfg.StepTimeout, phaseEnd))
	if err := ch.Send(c.chal); err != nil {
		return reasonConn, err
	}
	// the request may come until phaseEnd, which is after the challenge's
	// expiry (New checks): a late one is refused as expired, not cut off
	c.conn.SetDeadline(phaseEnd)
	m, err := ch.Receive()
	var answer protocol.Message
	switch m := m.(type) {
	case nil:
		r := malformed(err)
		if r == nil {
			// oversized, truncated, undecryptable, too slow: the
			// channel is broken, close; nothing reaches the ledger
			return c.pendingErr(phaseEnd, err)
		}
		answer = r
	case *protocol.CopyRequestMsg:
		answer = c.copyRequest(m)
	case *protocol.CopyReportMsg:
		answer = c.copyReport(m)
	case *protocol.KeyRequestMsg:
		answer = c.keyRequest(m)
	default:
		answer = refusal(protocol.CodeBadRequest, "a station sends a copy request, a key request or a copy report, not a %s", m.Type())
	}
	c.conn.SetDeadline(c.deadline(cfg.StepTimeout))
	if _, ok := answer.(*protocol.KeyReleaseMsg); ok && c.epoch != nil {
		// the custody epoch in force, just before the answer it concerns
		if err := ch.Send(c.epoch); err != nil {
			return reasonConn, err
		}
	}
	if err := ch.Send(answer); err != nil {
		return reasonConn, err
	}
	if r, ok := answer.(*protocol.RefusalMsg); ok {
		why := r.Message
		if c.why != nil {
			why = c.why.Error()
		}
		return reason("refused " + r.Code.String()), errors.New(why)
	}
	return "", nil
}

// malformed is the refusal for a message that decrypted but does not
// decode (bad field, unknown type or version, trailing bytes): the channel
// is intact, so the station is told which field. Nil for other errors.
func malformed(err error) *protocol.RefusalMsg {
	var de *protocol.DecodeError
	if !errors.As(err, &de) {
		return nil
	}
	return refusal(protocol.CodeBadRequest, "%v", de)
}

// pendingErr says so when err is the pre-request phase running out, so
// the log tells a slow client from a broken one.
func (c *conv) pendingErr(phaseEnd time.Time, err error) (reason, error) {
	if errors.Is(err, os.ErrDeadlineExceeded) && !c.s.cfg.Now().Before(phaseEnd) {
		return reasonNoRequest, fmt.Errorf("no request within %v of connecting: %w", c.s.cfg.RequestTimeout, err)
	}
	for _, bad := range []error{protocol.ErrFrameTooLarge, protocol.ErrEmptyFrame, protocol.ErrTruncated, protocol.ErrDecrypt} {
		if errors.Is(err, bad) {
			return reasonMalformed, err
		}
	}
	return reasonConn, err // the peer closed or reset
}

// station checks the challenge's expiry and finds the enrolled station.
func (c *conv) station(id string) (*contract.Station, *protocol.RefusalMsg) {
	if c.s.cfg.Now().After(time.Unix(c.chal.Expiry, 0)) {
		return nil, refusal(protocol.CodeChallengeExpired, "the challenge expired at %d, before the request came; connect again for a new one", c.chal.Expiry)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.StepTimeout)
	defer cancel()
	st, err := c.s.cfg.Ledger.Station(ctx, id)
	if err != nil {
		return nil, c.ledgerRefusal(err, subject{station: id})
	}
	if st.Status != contract.StationActive {
		return nil, refusal(protocol.CodeStationRevoked, "%s", ledgerText[protocol.CodeStationRevoked](subject{station: id}))
	}
	return st, nil
}

// ledgerRefusal keeps the ledger's own words for the log and answers with
// the station's text.
func (c *conv) ledgerRefusal(err error, s subject) *protocol.RefusalMsg {
	c.why = err
	return ledgerRefusal(err, s)
}

// proved moves the connection out of the unproved slots once the station's
// signature verifies; nil if it may go on.
func (c *conv) proved() *protocol.RefusalMsg {
	if c.t.prove() {
		return nil
	}
	return refusal(protocol.CodeUnavailable, "this node is serving as many stations as it can; try another node with the same job ID")
}

// checkIDs applies the ledger's ID rule before any lookup, so a bad ID is
// refused with the character named rather than by a transaction.
func checkIDs(ids ...[2]string) *protocol.RefusalMsg {
	for _, id := range ids {
		if err := contract.CheckID(id[0], id[1]); err != nil {
			return refusal(protocol.CodeBadRequest, "%v", err)
		}
	}
	return nil
}

func (c *conv) copyRequest(m *protocol.CopyRequestMsg) protocol.Message {
	if r := checkIDs([2]string{"job ID", m.JobID}, [2]string{"token ID", m.TokenID}, [2]string{"title ID", m.TitleID}); r != nil {
		return r
	}
	st, r := c.station(m.StationID)
	if r != nil {
		return r
	}
	hh := c.ch.HandshakeHash()
	stmt := m.Statement(hh, c.chal)
	if err := c.s.verify(st.SigningKey, stmt, m.Signature); err != nil {
		return refusal(protocol.CodeBadSignature, "the station's signature does not verify on this connection")
	}
	if r := c.proved(); r != nil {
		return r
	}
	if len(m.Grant) > 0 {
		if r := c.checkGrant(st, m); r != nil {
			return r
		}
	}
	subj := subject{station: st.ID, job: m.JobID, token: m.TokenID, title: m.TitleID, profile: m.Profile}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.LedgerTimeout)
	defer cancel()
	c.conn.SetDeadline(c.deadline(c.s.cfg.LedgerTimeout + c.s.cfg.StepTimeout))
	if err := c.spend(ctx, st, m, stmt); err != nil {
		return c.ledgerRefusal(err, subj)
	}
	rel, err := c.s.cfg.Ledger.ReleasePartial(ctx, st.ID, keys.Info{JobID: m.JobID, MediaID: m.MediaID, Transcript: hh})
	if err != nil {
		return c.ledgerRefusal(err, subj)
	}
	out := &protocol.KeyReleaseMsg{JobID: m.JobID, Sealed: rel.Sealed, Format: protocol.Format(rel.Format), Height: uint64(rel.Spend.Height), TxHash: rel.Spend.TxHash}
	for _, p := range rel.TitlePartials {
		out.TitlePartials = append(out.TitlePartials, protocol.TitlePartial{From: uint16(p.From), To: uint16(p.To), Sealed: p.Sealed})
	}
	sig, err := protocol.Sign(c.s.cfg.Random, c.s.cfg.Signer, out.Statement(c.chal.ChainID, hh))
	if err != nil {
		c.why = err
		return refusal(protocol.CodeInternal, "the node could not sign the key release; try another node with the same job ID")
	}
	out.NodeSignature = sig
	if len(rel.EpochRecord) > 0 {
		c.epoch = &protocol.EpochMsg{Record: rel.EpochRecord, Sig: rel.EpochSig}
	}
	return out
}

// alreadySpent says whether the attempt m names is committed on this
// node, pending, exactly as m asks for it: a station collecting partials
// after the spend was final at another node. Such a request spends
// nothing and waits for no block; anything else goes to the contract,
// which refuses or spends.
func (c *conv) alreadySpent(ctx context.Context, st *contract.Station, m *protocol.CopyRequestMsg) bool {
	cp, err := c.s.cfg.Ledger.Copy(ctx, m.JobID)
	if err != nil || len(cp.Attempts) == 0 {
		return false
	}
	cur := cp.Current()
	return cp.Station == st.ID && cp.Token == m.TokenID && cp.Title == m.TitleID && cp.Profile == m.Profile &&
		cur.Outcome == contract.OutcomePending && uint32(cp.Retries()) == m.Attempt && bytes.Equal(cur.MediaID, m.MediaID)
}

// spend commits the spend m asks for, unless this node already holds it
// final. A station asks a second node for its partial as soon as the first
// answered, often before this node has committed the same block: so while
// its own (idempotent) spend waits for a block, each commit is checked for
// the job, and the first to hold it ends the wait. The submitted spend then
// commits later as a repeat, changing nothing.
func (c *conv) spend(ctx context.Context, st *contract.Station, m *protocol.CopyRequestMsg, stmt *protocol.CopyRequest) error {
	l := c.s.cfg.Ledger
	next := l.NextCommit()
	if c.alreadySpent(ctx, st, m) {
		return nil
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := l.Spend(sctx, st.SigningKey, stmt, m.Signature)
		done <- err
	}()
	for {
		select {
		case err := <-done:
			return err
		case <-next:
			next = l.NextCommit()
			if c.alreadySpent(ctx, st, m) {
				return nil
			}
		}
	}
}

// keyRequest is round 2 of a release: the station's group signature for a
// copy whose spend is final on this node, answered with the copy's keys.
func (c *conv) keyRequest(m *protocol.KeyRequestMsg) protocol.Message {
	if r := checkIDs([2]string{"job ID", m.JobID}); r != nil {
		return r
	}
	st, r := c.station(m.StationID)
	if r != nil {
		return r
	}
	hh := c.ch.HandshakeHash()
	if err := protocol.Verify(st.SigningKey, m.Statement(hh, c.chal), m.Signature); err != nil {
		return refusal(protocol.CodeBadSignature, "the station's signature does not verify on this connection")
	}
	if r := c.proved(); r != nil {
		return r
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.LedgerTimeout)
	defer cancel()
	var tps []keyservice.TitlePartial
	for _, p := range m.TitlePartials {
		tps = append(tps, keyservice.TitlePartial{From: int(p.From), To: int(p.To), Sealed: p.Sealed})
	}
	rel, err := c.s.cfg.Ledger.ReleaseKeys(ctx, st.ID, m.Attempt, m.Sigma, keys.Info{JobID: m.JobID, MediaID: m.MediaID, Transcript: hh}, tps)
	if err != nil {
		return c.ledgerRefusal(err, subject{station: st.ID, job: m.JobID})
	}
	out := &protocol.ShareReleaseMsg{JobID: m.JobID, Attempt: m.Attempt, Sealed: rel.Sealed}
	sig, err := protocol.Sign(c.s.cfg.Random, c.s.cfg.Signer, out.Statement(c.chal.ChainID, hh))
	if err != nil {
		c.why = err
		return refusal(protocol.CodeInternal, "the node could not sign the key release; try another node with the same job ID")
	}
	out.NodeSignature = sig
	return out
}

// checkGrant refuses, before any transaction, a customer grant that cannot
// succeed: malformed, for another station or token, or expired by this
// node's clock. The contract checks the owner's signature.
func (c *conv) checkGrant(st *contract.Station, m *protocol.CopyRequestMsg) *protocol.RefusalMsg {
	g, err := protocol.DecodeGrant(m.Grant)
	switch {
	case err != nil:
		return refusal(protocol.CodeBadGrant, "customer authorisation: %v", err)
	case g.Grant.StationID != st.ID:
		return refusal(protocol.CodeGrantMismatch, "the customer authorised station %q, not %q", g.Grant.StationID, st.ID)
	case g.Grant.TokenID != m.TokenID || g.Grant.TitleID != m.TitleID:
		return refusal(protocol.CodeGrantMismatch, "the customer authorised token %q for title %q", g.Grant.TokenID, g.Grant.TitleID)
	case c.s.cfg.Now().Unix() > g.Grant.Expiry && !c.retryWithinGrant(st, m, g.Grant.Expiry):
		return refusal(protocol.CodeGrantExpired, "the customer's authorisation expired at %d", g.Grant.Expiry)
	}
	return nil
}

// retryWithinGrant says whether m retries a copy already recorded for this
// station, token, title and profile whose first attempt was authorised
// before expiry: the contract holds a retry's grant to that first attempt's
// block time, so a disc spoiled after a kiosk grant ran out can be retried.
// A lookup that fails leaves the decision to the contract.
func (c *conv) retryWithinGrant(st *contract.Station, m *protocol.CopyRequestMsg, expiry int64) bool {
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.StepTimeout)
	defer cancel()
	cp, err := c.s.cfg.Ledger.Copy(ctx, m.JobID)
	switch {
	case errors.Is(err, ledger.ErrCopyNotFound):
		return false
	case err != nil:
		return true
	}
	return cp.Station == st.ID && cp.Token == m.TokenID && cp.Title == m.TitleID && cp.Profile == m.Profile &&
		len(cp.Attempts) > 0 && cp.Attempts[0].Time <= expiry
}

func (c *conv) copyReport(m *protocol.CopyReportMsg) protocol.Message {
	if r := checkIDs([2]string{"job ID", m.JobID}); r != nil {
		return r
	}
	st, r := c.station(m.StationID)
	if r != nil {
		return r
	}
	hh := c.ch.HandshakeHash()
	stmt := m.Statement(c.chal.ChainID, hh)
	if err := c.s.verify(st.SigningKey, stmt, m.Signature); err != nil {
		return refusal(protocol.CodeBadSignature, "the station's signature does not verify on this connection")
	}
	if r := c.proved(); r != nil {
		return r
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.LedgerTimeout)
	defer cancel()
	c.conn.SetDeadline(c.deadline(c.s.cfg.LedgerTimeout + c.s.cfg.StepTimeout))
	rc, err := c.s.cfg.Ledger.Report(ctx, st.SigningKey, stmt, m.Signature)
	if err != nil {
		return c.ledgerRefusal(err, subject{station: st.ID, job: m.JobID})
	}
	out := &protocol.ReceiptMsg{JobID: m.JobID, Outcome: m.Outcome, Height: uint64(rc.Height), TxHash: rc.TxHash}
	sig, err := protocol.Sign(c.s.cfg.Random, c.s.cfg.Signer, out.Statement(c.chal.ChainID, hh))
	if err != nil {
		c.why = err
		return refusal(protocol.CodeInternal, "the node could not sign the receipt; try again")
	}
	out.NodeSignature = sig
	return out
}

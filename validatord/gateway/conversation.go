package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// conv is one connection's conversation.
type conv struct {
	s    *Server
	ctx  context.Context
	conn net.Conn
	ch   *protocol.Channel
	chal *protocol.ChallengeMsg
}

func (c *conv) deadline(d time.Duration) time.Time { return c.s.cfg.Now().Add(d) }

// preRequestDeadline is one step's deadline, cut short by the connection's
// deadline for the whole pre-request phase.
func (c *conv) preRequestDeadline(phaseEnd time.Time) time.Time {
	if d := c.deadline(c.s.cfg.StepTimeout); d.Before(phaseEnd) {
		return d
	}
	return phaseEnd
}

// serveConn runs one conversation and closes the connection.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c := &conv{s: s, ctx: ctx, conn: conn}
	if err := c.run(); err != nil {
		s.cfg.Logf("gateway: %s: %v", conn.RemoteAddr(), err)
	}
}

func (c *conv) run() error {
	cfg := &c.s.cfg
	phaseEnd := c.deadline(cfg.RequestTimeout)
	c.conn.SetDeadline(c.preRequestDeadline(phaseEnd))
	ch, err := protocol.ServerHandshake(c.conn, cfg.NoiseKey, cfg.Random)
	if err != nil {
		return c.preRequestErr(phaseEnd, err)
	}
	c.ch = ch
	nonce := make([]byte, protocol.NonceLen)
	// ReadFull: an injected reader may return fewer bytes than asked, and a
	// partly zero nonce is a guessable one.
	if _, err := io.ReadFull(cfg.Random, nonce); err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	chainID, err := cfg.Ledger.ChainID(c.ctx)
	if err != nil {
		return fmt.Errorf("chain ID: %w", err)
	}
	c.chal = &protocol.ChallengeMsg{Nonce: nonce, NodeID: c.s.nodeID,
		Expiry: cfg.Now().Add(cfg.ChallengeTTL).Unix(), HandshakeHash: ch.HandshakeHash(), ChainID: chainID}
	if err := ch.Send(c.chal); err != nil {
		return c.preRequestErr(phaseEnd, err)
	}
	c.conn.SetDeadline(c.preRequestDeadline(phaseEnd))
	m, err := ch.Receive()
	if err != nil {
		// malformed, oversized, truncated, too slow: close, nothing
		// reaches the ledger
		return c.preRequestErr(phaseEnd, err)
	}
	var answer protocol.Message
	switch m := m.(type) {
	case *protocol.CopyRequestMsg:
		answer = c.copyRequest(m)
	case *protocol.CopyReportMsg:
		answer = c.copyReport(m)
	default:
		return fmt.Errorf("%w: %s from a station", protocol.ErrUnexpected, m.Type())
	}
	c.conn.SetDeadline(c.deadline(cfg.StepTimeout))
	if r, ok := answer.(*protocol.RefusalMsg); ok {
		cfg.Logf("gateway: %s: refused: %s: %s", c.conn.RemoteAddr(), r.Code, r.Message)
	}
	return ch.Send(answer)
}

// preRequestErr says so when err is the pre-request phase running out, so
// the log tells a slow client from a broken one.
func (c *conv) preRequestErr(phaseEnd time.Time, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) && !c.s.cfg.Now().Before(phaseEnd) {
		return fmt.Errorf("no request within %v of connecting: %w", c.s.cfg.RequestTimeout, err)
	}
	return err
}

func refusal(code protocol.Code, format string, args ...any) *protocol.RefusalMsg {
	return &protocol.RefusalMsg{Code: code, Message: printable(fmt.Sprintf(format, args...), protocol.MaxMessageLen)}
}

// printable makes s a valid refusal message: UTF-8 without control
// characters, at most max bytes, cut on a character boundary (the
// station's decoder refuses anything else, and would lose the reason).
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	for len(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

func ledgerRefusal(op string, err error) *protocol.RefusalMsg {
	return refusal(refusalCode(err), "%s: %v", op, err)
}

// station checks the challenge's expiry and finds the enrolled station.
func (c *conv) station(id string) (*contract.Station, *protocol.RefusalMsg) {
	if c.s.cfg.Now().Unix() > c.chal.Expiry {
		return nil, refusal(protocol.CodeChallengeExpired, "the challenge expired at %d; ask again", c.chal.Expiry)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.StepTimeout)
	defer cancel()
	st, err := c.s.cfg.Ledger.Station(ctx, id)
	if err != nil {
		return nil, ledgerRefusal("station lookup", err)
	}
	if st.Status != contract.StationActive {
		return nil, refusal(protocol.CodeStationRevoked, "station %s is revoked", id)
	}
	return st, nil
}

func (c *conv) copyRequest(m *protocol.CopyRequestMsg) protocol.Message {
	st, r := c.station(m.StationID)
	if r != nil {
		return r
	}
	hh := c.ch.HandshakeHash()
	stmt := m.Statement(hh, c.chal)
	if err := protocol.Verify(st.SigningKey, stmt, m.Signature); err != nil {
		return refusal(protocol.CodeBadSignature, "the station's signature does not verify on this connection")
	}
	if len(m.Grant) > 0 {
		if r := c.checkGrant(st, m); r != nil {
			return r
		}
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.LedgerTimeout)
	defer cancel()
	c.conn.SetDeadline(c.deadline(c.s.cfg.LedgerTimeout + c.s.cfg.StepTimeout))
	rc, err := c.s.cfg.Ledger.Spend(ctx, st.SigningKey, stmt, m.Signature)
	if err != nil {
		return ledgerRefusal("spend", err)
	}
	rel, err := c.s.cfg.Ledger.ReleaseKeys(ctx, st.ID, keys.Info{JobID: m.JobID, MediaID: m.MediaID, Transcript: hh})
	if err != nil {
		return ledgerRefusal("key release", err)
	}
	out := &protocol.KeyReleaseMsg{JobID: m.JobID, Sealed: rel.Sealed, Format: rel.Format, Height: uint64(rc.Height), TxHash: rc.TxHash}
	sig, err := protocol.Sign(c.s.cfg.Random, c.s.cfg.Signer, out.Statement(c.chal.ChainID, hh))
	if err != nil {
		return refusal(protocol.CodeInternal, "signing the key release: %v", err)
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
		return refusal(protocol.CodeGrantMismatch, "the customer authorised station %s, not %s", g.Grant.StationID, st.ID)
	case g.Grant.TokenID != m.TokenID || g.Grant.TitleID != m.TitleID:
		return refusal(protocol.CodeGrantMismatch, "the customer authorised token %s for title %s", g.Grant.TokenID, g.Grant.TitleID)
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
	st, r := c.station(m.StationID)
	if r != nil {
		return r
	}
	hh := c.ch.HandshakeHash()
	stmt := m.Statement(c.chal.ChainID, hh)
	if err := protocol.Verify(st.SigningKey, stmt, m.Signature); err != nil {
		return refusal(protocol.CodeBadSignature, "the station's signature does not verify on this connection")
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.LedgerTimeout)
	defer cancel()
	c.conn.SetDeadline(c.deadline(c.s.cfg.LedgerTimeout + c.s.cfg.StepTimeout))
	rc, err := c.s.cfg.Ledger.Report(ctx, st.SigningKey, stmt, m.Signature)
	if err != nil {
		return ledgerRefusal("report", err)
	}
	out := &protocol.ReceiptMsg{JobID: m.JobID, Outcome: m.Outcome, Height: uint64(rc.Height), TxHash: rc.TxHash}
	sig, err := protocol.Sign(c.s.cfg.Random, c.s.cfg.Signer, out.Statement(c.chal.ChainID, hh))
	if err != nil {
		return refusal(protocol.CodeInternal, "signing the receipt: %v", err)
	}
	out.NodeSignature = sig
	return out
}

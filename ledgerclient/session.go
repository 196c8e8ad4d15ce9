package ledgerclient

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
)

// session is one channel to one node, after its challenge.
type session struct {
	c    *Client
	node Node
	ch   *protocol.Channel
	chal *protocol.ChallengeMsg
	ctx  context.Context
}

// deadline is now+d, or the context's deadline if sooner.
func (s *session) deadline(d time.Duration) time.Time {
	t := s.c.cfg.Now().Add(d)
	if cd, ok := s.ctx.Deadline(); ok && cd.Before(t) {
		return cd
	}
	return t
}

// withSession dials node, runs the handshake, reads and checks the
// challenge, then runs fn. The connection is closed when fn returns or the
// context ends, whichever is first.
func (c *Client) withSession(ctx context.Context, node Node, fn func(*session) error) error {
	s := &session{c: c, node: node, ctx: ctx}
	dctx, cancel := context.WithDeadline(ctx, s.deadline(c.cfg.StepTimeout))
	conn, err := c.cfg.Dial(dctx, "tcp", node.Address)
	cancel()
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	conn.SetDeadline(s.deadline(c.cfg.StepTimeout))
	if s.ch, err = protocol.ClientHandshake(conn, c.static, node.NoiseKey, c.cfg.Random); err != nil {
		return err
	}
	conn.SetDeadline(s.deadline(c.cfg.StepTimeout))
	m, err := s.ch.Receive()
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	if r, ok := m.(*protocol.RefusalMsg); ok {
		return s.refusal(r)
	}
	chal, ok := m.(*protocol.ChallengeMsg)
	switch {
	case !ok:
		return fmt.Errorf("%w: %s instead of a challenge", protocol.ErrUnexpected, m.Type())
	case chal.NodeID != node.ID():
		return fmt.Errorf("%w: challenge from node %s, pinned %s", ErrNodeMisbehaved, chal.NodeID, node.ID())
	case !bytes.Equal(chal.HandshakeHash, s.ch.HandshakeHash()):
		return fmt.Errorf("%w: challenge is bound to another handshake", ErrNodeMisbehaved)
	case c.cfg.ChainID != "" && chal.ChainID != c.cfg.ChainID:
		return fmt.Errorf("%w: the node serves network %q; this station is configured for %q", ErrWrongChain, chal.ChainID, c.cfg.ChainID)
	}
	s.chal = chal
	return fn(s)
}

func (s *session) refusal(r *protocol.RefusalMsg) error {
	return &RefusalError{NodeID: s.node.ID(), Code: r.Code, Message: r.Message}
}

// exchange sends m and waits, up to AnswerTimeout, for the answer.
func (s *session) exchange(m protocol.Message) (protocol.Message, error) {
	s.ch.SetDeadline(s.deadline(s.c.cfg.AnswerTimeout))
	if err := s.ch.Send(m); err != nil {
		return nil, err
	}
	a, err := s.ch.Receive()
	if err != nil {
		return nil, fmt.Errorf("answer to %s: %w", m.Type(), err)
	}
	if ep, ok := a.(*protocol.EpochMsg); ok {
		// the custody epoch in force comes just before the answer
		if err := s.c.acceptEpoch(s.chal.ChainID, ep); err != nil {
			return nil, fmt.Errorf("node %s: %w", s.node.ID(), err)
		}
		if a, err = s.ch.Receive(); err != nil {
			return nil, fmt.Errorf("answer to %s: %w", m.Type(), err)
		}
	}
	if r, ok := a.(*protocol.RefusalMsg); ok {
		return nil, s.refusal(r)
	}
	return a, nil
}

// partialAnswer is one node's round-1 answer, opened and signature-checked
// but not yet verified against the group.
type partialAnswer struct {
	partial custody.Partial
	revoked []uint32 // player-tree leaves revoked at the spend's height
	format  protocol.Format
	receipt Receipt
	chainID string
	// titlePartials: for a traced title, the node's sealed partials on the
	// title's tracing label, one per other custody node, relayed in round 2
	titlePartials []protocol.TitlePartial
}

// partial is round 1 at one node: the copy request (a spend, or nothing if
// the spend is already final there) answered by the node's partial
// signature on the copy label.
func (s *session) partial(p CopyRequestParams) (*partialAnswer, error) {
	hh := s.ch.HandshakeHash()
	req := &protocol.CopyRequestMsg{StationID: s.c.stationID, JobID: p.JobID, TokenID: p.TokenID,
		TitleID: p.TitleID, Profile: p.Profile, MediaID: p.MediaID, Grant: p.Grant,
		Attempt: p.Attempt, PrevReport: p.PrevReport}
	sig, err := protocol.Sign(s.c.cfg.Random, s.c.cfg.Signer, req.Statement(hh, s.chal))
	if err != nil {
		return nil, err
	}
	req.Signature = sig
	a, err := s.exchange(req)
	if err != nil {
		return nil, err
	}
	rel, ok := a.(*protocol.KeyReleaseMsg)
	if !ok {
		return nil, fmt.Errorf("%w: %s instead of a key release", protocol.ErrUnexpected, a.Type())
	}
	if rel.JobID != p.JobID {
		return nil, fmt.Errorf("%w: key release for job %q, asked for %q", ErrNodeMisbehaved, rel.JobID, p.JobID)
	}
	if err := protocol.Verify(s.node.SigningKey, rel.Statement(s.chal.ChainID, hh), rel.NodeSignature); err != nil {
		return nil, fmt.Errorf("%w: key release signature: %w", ErrNodeMisbehaved, err)
	}
	pb, revoked, err := keys.OpenPartial(s.c.cfg.KeyExchanger, keys.Info{JobID: p.JobID, MediaID: p.MediaID, Transcript: hh}, rel.Sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeysDoNotOpen, err)
	}
	part, err := custody.UnmarshalPartial(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrNodeMisbehaved, ErrWrongPartial, err)
	}
	for _, tp := range rel.TitlePartials {
		if int(tp.From) != part.Node {
			return nil, fmt.Errorf("%w: custody node %d sent a title partial as node %d", ErrNodeMisbehaved, part.Node, tp.From)
		}
	}
	return &partialAnswer{partial: part, revoked: revoked, format: rel.Format, chainID: s.chal.ChainID, receipt: Receipt{NodeID: s.node.ID(),
		Height: rel.Height, TxHash: rel.TxHash, HandshakeHash: hh, Signature: rel.NodeSignature}, titlePartials: rel.TitlePartials}, nil
}

func (s *session) report(r ReportParams) (*Receipt, error) {
	hh := s.ch.HandshakeHash()
	m := &protocol.CopyReportMsg{StationID: s.c.stationID, JobID: r.JobID, Attempt: r.Attempt, MediaID: r.MediaID,
		Outcome: r.Outcome, DiscDigest: r.DiscDigest, Reason: r.Reason}
	stmt := m.Statement(s.chal.ChainID, hh)
	sig, err := protocol.Sign(s.c.cfg.Random, s.c.cfg.Signer, stmt)
	if err != nil {
		return nil, err
	}
	m.Signature = sig
	a, err := s.exchange(m)
	if err != nil {
		return nil, err
	}
	rc, ok := a.(*protocol.ReceiptMsg)
	if !ok {
		return nil, fmt.Errorf("%w: %s instead of a receipt", protocol.ErrUnexpected, a.Type())
	}
	if rc.JobID != r.JobID || rc.Outcome != r.Outcome {
		return nil, fmt.Errorf("%w: receipt for job %q outcome %d", ErrNodeMisbehaved, rc.JobID, rc.Outcome)
	}
	if err := protocol.Verify(s.node.SigningKey, rc.Statement(s.chal.ChainID, hh), rc.NodeSignature); err != nil {
		return nil, fmt.Errorf("%w: receipt signature: %w", ErrNodeMisbehaved, err)
	}
	return &Receipt{NodeID: s.node.ID(), Height: rc.Height, TxHash: rc.TxHash, HandshakeHash: hh, Signature: rc.NodeSignature,
		ReportDigest: protocol.ReportDigest(stmt)}, nil
}

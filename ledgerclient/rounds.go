package ledgerclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
)

// round1 is what the station holds after round 1: the copy's group
// signature, combined in memory from t nodes' partials and checked against
// the pinned group, and the nodes that gave them.
type round1 struct {
	sigma   custody.Signature
	chainID string
	format  protocol.Format
	receipt Receipt
	// revoked is the union of the revoked player-tree leaves the nodes
	// that answered sent: one node leaving a revoked player out cannot let
	// it open this disc (a node adding one only keeps that player from it).
	revoked []uint32
	// titlePartials are the sealed title partials of the nodes whose copy
	// partials were taken (a traced title), relayed to every node in round
	// 2; traced says some node sent any, so the codeword comes from the
	// releases, not from sigma.
	titlePartials []protocol.TitlePartial
	from          []Node // nodes whose partials verified, asked first in round 2
	partials      []string
	rejected      []error
	start         time.Time     // of round 1
	spent         time.Duration // from start to the first node's answer: the spend
}

func (c *Client) logf(format string, args ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf(format, args...)
	}
}

// collectPartials is round 1: it asks nodes, starting with the last that
// answered, for their partial signature on the copy label until t verify,
// and combines them. The first node to answer spends the token, so it is
// asked alone; the others find the spend final and spend nothing, so t-1 of
// them are asked at once (and another for each that fails). A definitive
// refusal before any partial ends the copy (another node would refuse
// alike); a wrong partial is named, logged and skipped.
func (c *Client) collectPartials(ctx context.Context, p CopyRequestParams) (*round1, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // lets go of the slower nodes once t partials verify
	c.mu.Lock()
	start := c.next
	c.mu.Unlock()
	type answer struct {
		idx int
		got *partialAnswer
		err error
	}
	results := make(chan answer, len(c.cfg.Nodes))
	next, inflight := 0, 0
	launch := func() {
		idx := (start + next) % len(c.cfg.Nodes)
		next++
		inflight++
		go func() {
			var got *partialAnswer
			err := c.withSession(ctx, c.cfg.Nodes[idx], func(s *session) error {
				a, err := s.partial(p)
				got = a
				return err
			})
			results <- answer{idx, got, err}
		}()
	}
	r := &round1{start: time.Now()}
	var (
		partials []custody.Partial
		label    []byte
		errs     []error
	)
	seen := map[int]bool{}
	for len(partials) < c.curGroup().T() {
		want := 1 // alone until the spend is final somewhere
		if len(partials) > 0 {
			want = c.curGroup().T() - len(partials)
		}
		for inflight < want && next < len(c.cfg.Nodes) && ctx.Err() == nil {
			launch()
		}
		if inflight == 0 {
			break
		}
		a := <-results
		inflight--
		node := c.cfg.Nodes[a.idx]
		if a.err != nil {
			if len(partials) == 0 && definitive(a.err) {
				return nil, a.err
			}
			errs = append(errs, fmt.Errorf("node %s (%s): %w", node.ID(), node.Address, a.err))
			continue
		}
		got := a.got
		if label == nil {
			r.chainID = got.chainID
			var err error
			if label, err = (custody.CopyRecord{ChainID: got.chainID, TitleID: p.TitleID, JobID: p.JobID, TokenID: p.TokenID, StationKeyID: c.stationID}).Label(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadRequestParams, err)
			}
		}
		bad := func(why error) {
			e := fmt.Errorf("node %s (%s): %w: %w", node.ID(), node.Address, ErrWrongPartial, why)
			r.rejected = append(r.rejected, e)
			c.logf("station: %v; asking another node", e)
		}
		switch {
		case got.chainID != r.chainID:
			bad(fmt.Errorf("its challenge names network %q, not %q", got.chainID, r.chainID))
			continue
		case seen[got.partial.Node]:
			bad(fmt.Errorf("share index %d was already given by another node", got.partial.Node))
			continue
		case len(partials) > 0 && got.format != r.format:
			bad(fmt.Errorf("format %+v differs from the first node's %+v", got.format, r.format))
			continue
		}
		if len(partials) == 0 {
			r.spent = time.Since(r.start)
			r.format, r.receipt = got.format, got.receipt
			c.mu.Lock()
			c.next = a.idx
			c.mu.Unlock()
		}
		seen[got.partial.Node] = true
		r.revoked = unionSorted(r.revoked, got.revoked)
		r.titlePartials = append(r.titlePartials, got.titlePartials...)
		partials = append(partials, got.partial)
		r.from = append(r.from, node)
		r.partials = append(r.partials, node.ID())
		if len(partials) < c.curGroup().T() {
			continue
		}
		// t partials: combine and check the result once; only if it
		// fails, check each to name the wrong one, drop it, ask on
		if sig, err := custody.CombineOptimistic(c.curGroup(), label, partials); err == nil {
			if len(r.revoked) > keys.MaxRevoked {
				return nil, fmt.Errorf("%w: the nodes name %d revoked players together, more than a disc key block takes (%d)", ErrNodeMisbehaved, len(r.revoked), keys.MaxRevoked)
			}
			r.sigma = sig
			return r, nil
		}
		for i := len(partials) - 1; i >= 0; i-- {
			if err := custody.VerifyPartial(c.curGroup(), label, partials[i]); err != nil {
				node := r.from[i]
				e := fmt.Errorf("node %s (%s): %w: %w", node.ID(), node.Address, ErrWrongPartial, err)
				r.rejected = append(r.rejected, e)
				c.logf("station: %v; asking another node", e)
				r.titlePartials = slices.DeleteFunc(r.titlePartials, func(tp protocol.TitlePartial) bool { return int(tp.From) == partials[i].Node })
				partials = slices.Delete(partials, i, i+1)
				r.from = slices.Delete(r.from, i, i+1)
				r.partials = slices.Delete(r.partials, i, i+1)
			}
		}
	}
	if len(partials) == c.curGroup().T() {
		// every partial verified alone, yet they do not combine: cannot
		// happen for partials that verify; refuse rather than guess
		return nil, fmt.Errorf("%w: %d partials that verify do not combine", ErrNoThreshold, len(partials))
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	head := ErrNoThreshold
	if len(partials) == 0 && len(r.rejected) == 0 {
		head = ErrNoNodeReachable
	}
	all := append([]error{fmt.Errorf("%w: %d valid of %d needed", head, len(partials), c.curGroup().T())}, r.rejected...)
	return nil, errors.Join(append(all, errs...)...)
}

func containsNode(ns []Node, n Node) bool {
	for _, m := range ns {
		if m.Address == n.Address && bytes.Equal(m.SigningKey, n.SigningKey) {
			return true
		}
	}
	return false
}

// unionSorted merges two sorted, distinct lists of leaves.
func unionSorted(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}

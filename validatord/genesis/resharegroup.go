package genesis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/validatord/contract"
)

// ReshareParties orders a session's parties for the exchange directory:
// the old custody set in its order, then the joining nodes (new set, not
// in the old one) in the new set's order. Party p writes
// DIR/<phase>-<p>.bin; every node computes the same order from the ledger
// and the session file.
func ReshareParties(old []contract.CustodyNode, s *ReshareSession) [][]byte {
	var out [][]byte
	for _, n := range old {
		out = append(out, n.DKGKey)
	}
	for i := range s.Nodes {
		k := s.Nodes[i].Descriptor.DKGKey
		if !containsKey(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func containsKey(set [][]byte, k []byte) bool {
	for _, s := range set {
		if bytes.Equal(s, k) {
			return true
		}
	}
	return false
}

// GroupReshare is one node's inputs to resharing the group secret.
type GroupReshare struct {
	Session  *ReshareSession
	ChainID  string                 // this node's chain
	Epoch    uint32                 // the epoch in force
	Old      []contract.CustodyNode // the custody set in force, from the ledger
	OldGroup *custody.Group         // its group, from the ledger
	Key      *custody.DKGKey        // this node's DKG key
	Share    *custody.KeyShare      // its share in force; nil for a joining node
	Exchange string                 // the shared directory
	Poll     time.Duration          // how often to look for the others' files; 0: 500 ms
}

// ReshareGroup runs this node's part of the group secret's resharing
// (custody.Reshare: deal, respond, justify, finish) through the exchange
// directory, after checking the session against the ledger (Role). A
// node of the new set gets the new group (the same key) and its share; a
// leaving node gets nil, nil once it has dealt. On failure it writes its
// abort file so the others stop too. ctx bounds the wait for the others.
func ReshareGroup(ctx context.Context, g GroupReshare) (*custody.DKGResult, error) {
	const op = "genesis.ReshareGroup"
	res, err := reshareGroup(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return res, nil
}

func reshareGroup(ctx context.Context, g GroupReshare) (*custody.DKGResult, error) {
	if g.Poll == 0 {
		g.Poll = 500 * time.Millisecond
	}
	if _, _, err := g.Session.Role(g.ChainID, g.Epoch, g.Old, g.Key.Public()); err != nil {
		return nil, err
	}
	rc := custody.ReshareConfig{OldGroup: g.OldGroup, NewThreshold: g.Session.Threshold, Nonce: g.Session.Nonce}
	var err error
	if rc.OldNodes, err = points(g.Old, nil); err != nil {
		return nil, err
	}
	if rc.NewNodes, err = points(nil, g.Session.Nodes); err != nil {
		return nil, err
	}
	parties := ReshareParties(g.Old, g.Session)
	self := -1
	for p, k := range parties {
		if bytes.Equal(k, g.Key.Public()) {
			self = p
		}
	}
	x := &exchange{dir: g.Exchange, n: len(parties), self: self, poll: g.Poll, reshare: true}
	if err := x.checkFresh(); err != nil {
		x.abort(err)
		return nil, err
	}
	r, err := custody.NewReshare(rc, g.Key, g.Share)
	if err != nil {
		x.abort(err)
		return nil, err
	}
	res, err := phases(ctx, x, r)
	if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrPeerAborted) {
		x.abort(err)
	}
	return res, err
}

// points parses the DKG keys of ledger nodes or of descriptors.
func points(nodes []contract.CustodyNode, descs []SignedDescriptor) ([]kyber.Point, error) {
	var keys [][]byte
	for _, n := range nodes {
		keys = append(keys, n.DKGKey)
	}
	for i := range descs {
		keys = append(keys, descs[i].Descriptor.DKGKey)
	}
	var out []kyber.Point
	for i, k := range keys {
		p, err := custody.ParseDKGPublic(k)
		if err != nil {
			return nil, fmt.Errorf("DKG key of node %d: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// NewOrder gives, for each node j of the session's new set, its index in
// parties (ReshareParties), or nil if one is missing.
func NewOrder(parties [][]byte, s *ReshareSession) []int {
	var out []int
	for j := range s.Nodes {
		p := -1
		for i, k := range parties {
			if bytes.Equal(k, s.Nodes[j].Descriptor.DKGKey) {
				p = i
			}
		}
		if p < 0 {
			return nil
		}
		out = append(out, p)
	}
	return out
}

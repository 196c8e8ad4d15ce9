package custody

import (
	"bytes"
	"errors"
	"fmt"

	"go.dedis.ch/kyber/v4"
	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
)

// ReshareConfig is the public description of one resharing session: the old
// custody set's DKG keys in old order, the new set's in new order (a node in
// both appears in both, at its index in each), the old group, the new
// threshold, and a fresh 32-byte nonce naming the session.
type ReshareConfig struct {
	OldNodes     []kyber.Point
	NewNodes     []kyber.Point
	OldGroup     *Group
	NewThreshold int
	Nonce        []byte
}

// Reshare is one party's side of kyber's Pedersen resharing of the group
// secret x (docs/key-custody.md, "Resharing"): old nodes deal their x_i,
// new nodes combine t_old deals into x'_j, and the group key X stays. The
// phases and files are the DKG's (Ceremony); a joining node has no deal, a
// leaving node's result is nil.
type Reshare struct {
	phases // Rejected: the bundles dropped
	rc     ReshareConfig
	oldIdx int // -1: joining
	newIdx int // -1: leaving
}

// NewReshare checks the config and prepares this node's side. share is the
// node's old x_i (nil for a joining node); it is used, not kept beyond the
// session, and the caller wipes it afterwards.
func NewReshare(rc ReshareConfig, key *DKGKey, share *KeyShare) (*Reshare, error) {
	const op = "custody.NewReshare"
	if rc.OldGroup == nil || rc.OldGroup.N() != len(rc.OldNodes) {
		return nil, fmt.Errorf("%s: %w: old group missing or not of %d nodes", op, ErrReshare, len(rc.OldNodes))
	}
	if err := CheckThreshold(len(rc.NewNodes), rc.NewThreshold); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(rc.Nonce) != dkg.NonceLength {
		return nil, fmt.Errorf("%s: %w: nonce is %d bytes, want %d", op, ErrReshare, len(rc.Nonce), dkg.NonceLength)
	}
	r := &Reshare{rc: rc, oldIdx: indexOf(rc.OldNodes, key.public), newIdx: indexOf(rc.NewNodes, key.public)}
	if r.oldIdx < 0 && r.newIdx < 0 {
		return nil, fmt.Errorf("%s: %w: this node's DKG key is in neither the old nor the new node list", op, ErrReshare)
	}
	cfg := &dkg.Config{
		Suite:        dkgSuite,
		Longterm:     key.secret,
		OldNodes:     nodes(rc.OldNodes),
		NewNodes:     nodes(rc.NewNodes),
		Threshold:    uint32(rc.NewThreshold),
		OldThreshold: uint32(rc.OldGroup.T()),
		Nonce:        bytes.Clone(rc.Nonce),
		Auth:         dkgAuth,
	}
	switch {
	case r.oldIdx >= 0 && share == nil:
		return nil, fmt.Errorf("%s: %w: node %d of the old set must give its share", op, ErrReshare, r.oldIdx)
	case r.oldIdx >= 0:
		if share.Node != r.oldIdx || !rc.OldGroup.PublicShare(share.Node).Equal(dkgSuite.Point().Mul(share.v, nil)) {
			return nil, fmt.Errorf("%s: %w: the share given is not old node %d's share of the old group", op, ErrReshare, r.oldIdx)
		}
		cfg.Share = &dkg.DistKeyShare{Commits: rc.OldGroup.commits, Share: share.priShare()}
	default:
		cfg.PublicCoeffs = rc.OldGroup.commits
	}
	ph, err := newPhases(cfg, "custody.Reshare", ErrReshare)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrReshare, err)
	}
	r.phases = ph
	return r, nil
}

func indexOf(ps []kyber.Point, p kyber.Point) int {
	for i, q := range ps {
		if q.Equal(p) {
			return i
		}
	}
	return -1
}

// Deal makes an old node's deal file; a joining node deals nothing (nil).
func (r *Reshare) Deal() ([]byte, error) {
	if r.oldIdx < 0 {
		return nil, nil
	}
	return r.deal()
}

// Respond processes every old node's deal file and returns this node's
// complaints, or nil. A dealing node must find its own deal unchanged
// (ErrDealRejected otherwise); a leaving node receives nothing and returns
// nil.
func (r *Reshare) Respond(deals [][]byte) ([]byte, error) {
	if r.newIdx < 0 {
		if r.oldIdx >= 0 && !containsBytes(deals, r.ownDeal) {
			return nil, fmt.Errorf("custody.Reshare.Respond: %w", ErrDealRejected)
		}
		return nil, nil // kyber: a leaving node goes on to the responses
	}
	// kyber evicts a dealer seen twice; the same file given twice is one deal
	return r.respond(unique(deals), r.oldIdx >= 0)
}

func unique(files [][]byte) [][]byte {
	var out [][]byte
	for _, f := range files {
		if !containsBytes(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// Justify processes every new node's response file and returns this old
// node's justifications, or nil. A leaving node's part ends with its deal
// (kyber v4 lets it process no responses), so a complaint against it is
// never justified and its deal is left out: it returns nil.
func (r *Reshare) Justify(responses [][]byte) ([]byte, error) {
	if r.newIdx < 0 {
		return nil, nil
	}
	return r.justify(responses)
}

// Finish processes the justification files. A node of the new set gets the
// new group (the same key X) and its share x'_j at its new index, with
// Qualified the new nodes kyber found compliant (in a resharing kyber's
// QUAL lists new nodes, not dealers); a leaving node gets nil, nil.
func (r *Reshare) Finish(justifications [][]byte) (*DKGResult, error) {
	if r.newIdx < 0 {
		return nil, nil
	}
	return r.finish(justifications, len(r.rc.NewNodes), r.newIdx, func(g *Group) error {
		if !g.Key().Equal(r.rc.OldGroup.Key()) {
			return errors.New("the new group key differs from the old one")
		}
		return nil
	})
}

// ReshareParty is one participant of an in-process resharing: its DKG key
// and, for an old node, its old share.
type ReshareParty struct {
	Key   *DKGKey
	Share *KeyShare
}

// RunReshareInProcess runs the session for every party in one process,
// exchanging only encoded files. results[p] is party p's outcome (nil for a
// leaving node); every node of the new set must end with the same group.
func RunReshareInProcess(rc ReshareConfig, parties []ReshareParty) ([]*DKGResult, error) {
	res, errs := runReshare(rc, parties, nil)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("custody.RunReshareInProcess: %w", err)
	}
	var first *DKGResult
	for p, r := range res {
		if r == nil {
			continue
		}
		if first == nil {
			first = r
		} else if !r.Group.Equal(first.Group) {
			return nil, fmt.Errorf("custody.RunReshareInProcess: %w: party %d computed a different group", ErrReshare, p)
		}
	}
	return res, nil
}

// runReshare drives the phases; tamper gives the files published for the
// deal of the party at index p (none, a changed one, or it twice), as a
// faulty dealer or channel would.
func runReshare(rc ReshareConfig, parties []ReshareParty, tamper func(p int, deal []byte) [][]byte) ([]*DKGResult, []error) {
	ps, errs := make([]party, len(parties)), make([]error, len(parties))
	for p, pt := range parties {
		r, err := NewReshare(rc, pt.Key, pt.Share)
		if err != nil {
			errs[p] = fmt.Errorf("party %d: %w", p, err)
			continue
		}
		ps[p] = r
	}
	return runPhases(ps, errs, "party", tamper)
}

package custody

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of these with
// %w, prefixed by the operation, so callers test them with errors.Is.
var (
	// ErrEncoding: bytes from outside (a file, a frame, a vault blob) are
	// not a valid encoding of the expected structure. Nothing was accepted.
	ErrEncoding = errors.New("custody: malformed encoding")
	// ErrPoint: bytes that are not a compressed point of the group named.
	ErrPoint = errors.New("custody: not a curve point")
	// ErrThreshold: n or t is outside what docs/key-custody.md allows
	// (1 <= n <= MaxNodes, f+1 <= t <= n with f = (n-1)/3).
	ErrThreshold = errors.New("custody: invalid threshold")
	// ErrLabel: a label field is empty, too long, or not UTF-8.
	ErrLabel = errors.New("custody: invalid label field")
	// ErrBadPartial: a node's partial signature does not verify against the
	// group's public polynomial; the node is misbehaving or its share is
	// not this group's. Ask another node.
	ErrBadPartial = errors.New("custody: invalid partial signature")
	// ErrBadShare: a node's released title shares do not match the node's
	// Merkle root from the title manifest; ask another node.
	ErrBadShare = errors.New("custody: released share does not match its commitment")
	// ErrNotEnoughShares: fewer than t valid contributions (partials or
	// releases) were given; gather more nodes.
	ErrNotEnoughShares = errors.New("custody: not enough valid shares")
	// ErrBadSignature: a combined group signature does not verify against
	// the group key for this label.
	ErrBadSignature = errors.New("custody: invalid group signature")
	// ErrBadDeal: a node's sealed title shares do not open with its custody
	// key or do not match the issuer's root; refuse the registration.
	ErrBadDeal = errors.New("custody: title deal rejected")
	// ErrCodeword: a codeword length is outside 1..MaxSegments bits or does
	// not match the title.
	ErrCodeword = errors.New("custody: invalid codeword")
	// ErrDKG: the distributed key generation cannot complete (too few
	// qualified dealers, wrong phase, or this node was evicted).
	ErrDKG = errors.New("custody: key generation failed")
	// ErrBadBundle: a DKG bundle is not signed by the node it names, or is
	// for another ceremony; it is ignored (as if absent).
	ErrBadBundle = errors.New("custody: DKG bundle rejected")
	// ErrDealRejected: this node's own deal is absent from, or differs in,
	// the set of deals every node received; the others exclude it, so this
	// node stops rather than compute a different group key.
	ErrDealRejected = errors.New("custody: own DKG deal not received by the others")
	// ErrReshare: a resharing session cannot complete (bad configuration,
	// too few good dealers, a result whose group key is not the old one, or
	// dealers whose title shares disagree with no way to tell which is
	// wrong); rerun it with a new nonce, without the dealers named.
	ErrReshare = errors.New("custody: resharing failed")
	// ErrBadReshare: an old node's resharing deal of title shares is wrong:
	// its values do not match its commitments, its blob does not open, or
	// the share it reshared is off the polynomial the other dealers' lie
	// on. It is named in a NodeError; rerun the session without it.
	ErrBadReshare = errors.New("custody: resharing deal rejected")
	// ErrFixedRand: a fixed random stream for a DKG outside a test binary;
	// a real network's secret comes from crypto/rand (RunInProcess).
	ErrFixedRand = errors.New("custody: fixed DKG randomness is for tests only")
)

// NodeError names the node whose contribution was rejected. Err wraps
// ErrBadPartial, ErrBadShare or ErrBadBundle.
type NodeError struct {
	Node int // 0-based genesis index
	Err  error
}

func (e *NodeError) Error() string { return fmt.Sprintf("node %d: %v", e.Node, e.Err) }

// Unwrap lets errors.Is find the sentinel.
func (e *NodeError) Unwrap() error { return e.Err }

// joinNodeErrors returns err followed by each node error, for a failure
// whose cause includes the nodes that misbehaved.
func joinNodeErrors(err error, bad []*NodeError) error {
	errs := []error{err}
	for _, b := range bad {
		errs = append(errs, b)
	}
	return errors.Join(errs...)
}

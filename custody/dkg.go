package custody

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.dedis.ch/kyber/v4"
	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
)

// CeremonyConfig is the public ceremony file: the nodes' DKG public keys in
// genesis order, the threshold, and a fresh 32-byte nonce naming this run
// (so no bundle of another run is accepted).
type CeremonyConfig struct {
	Nodes     []kyber.Point
	Threshold int
	Nonce     []byte
}

// DKGResult is one node's outcome: the group (the same for every node that
// finishes), the node's secret share (to seal in its vault, then Wipe), and
// the qualified dealers whose polynomials make up the group key.
type DKGResult struct {
	Group     *Group
	Share     *KeyShare
	Qualified []int
}

// Ceremony is one node's side of kyber's Pedersen DKG (share/dkg/pedersen,
// the Gennaro et al. variant with complaints and justifications, no fast
// sync). Phases, each fed the files every node published in the previous
// one (the same set for all: the exchange must act as a broadcast):
//
//	Deal() -> deal file
//	Respond(deal files) -> response file, or nil when this node has no complaint
//	Justify(response files) -> justification file, or nil
//	Finish(justification files) -> DKGResult
//
// A bundle that does not parse or is not signed by the node it names is
// dropped as if absent and named in Rejected.
type Ceremony struct {
	phases // Rejected: the bundles dropped
	self   int
	n      int
}

// NewCeremony checks the config (n, t per CheckThreshold; key among the
// nodes) and prepares this node's dealing polynomial.
func NewCeremony(cc CeremonyConfig, key *DKGKey) (*Ceremony, error) {
	return newCeremony(cc, key, nil)
}

// newCeremony is NewCeremony drawing this node's secret from rnd alone
// when rnd is not nil (RunInProcessFrom).
func newCeremony(cc CeremonyConfig, key *DKGKey, rnd io.Reader) (*Ceremony, error) {
	const op = "custody.NewCeremony"
	n := len(cc.Nodes)
	if err := CheckThreshold(n, cc.Threshold); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(cc.Nonce) != dkg.NonceLength {
		return nil, fmt.Errorf("%s: %w: nonce is %d bytes, want %d", op, ErrDKG, len(cc.Nonce), dkg.NonceLength)
	}
	self := -1
	for i, p := range cc.Nodes {
		if p.Equal(key.public) {
			self = i
		}
	}
	if self < 0 {
		return nil, fmt.Errorf("%s: %w: this node's DKG key is not in the ceremony's node list", op, ErrDKG)
	}
	cfg := &dkg.Config{
		Suite:     dkgSuite,
		Longterm:  key.secret,
		NewNodes:  nodes(cc.Nodes),
		Threshold: uint32(cc.Threshold),
		Nonce:     bytes.Clone(cc.Nonce),
		Auth:      dkgAuth,
	}
	if rnd != nil {
		cfg.Reader, cfg.UserReaderOnly = rnd, true
	}
	ph, err := newPhases(cfg, "custody.Ceremony", ErrDKG)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrDKG, err)
	}
	return &Ceremony{phases: ph, self: self, n: n}, nil
}

// Deal makes this node's deal file: commitments to its polynomial and one
// share encrypted to each other node's DKG key, signed.
func (c *Ceremony) Deal() ([]byte, error) { return c.deal() }

// Respond processes every node's deal file (this node's own included: it
// must be there unchanged, else ErrDealRejected, since the others will
// exclude this node's polynomial). It returns this node's complaints, or nil.
func (c *Ceremony) Respond(deals [][]byte) ([]byte, error) { return c.respond(deals, true) }

// Justify processes every node's response file. When there is no
// complaint, the key is already determined and it returns nil; otherwise it
// returns this node's justifications (its shares for the complainers, made
// public), or nil if no one complained about it.
func (c *Ceremony) Justify(responses [][]byte) ([]byte, error) { return c.justify(responses) }

// Finish processes the justification files and returns the result. A dealer
// with an unanswered complaint is left out of the qualified set; fewer than
// t qualified dealers is ErrDKG.
func (c *Ceremony) Finish(justifications [][]byte) (*DKGResult, error) {
	return c.finish(justifications, c.n, c.self, nil)
}

// RunInProcess runs the ceremony for every key in one process, the way
// `validatord testnet` does: each participant keeps its own DKGKey and
// state, and they exchange only the encoded public bundles. Every node must
// finish with the same group.
func RunInProcess(cc CeremonyConfig, keys []*DKGKey) ([]*DKGResult, error) {
	return runInProcess("custody.RunInProcess", cc, keys, nil)
}

// RunInProcessFrom is RunInProcess with each node's secret (the constant
// term of its dealing polynomial; the qualified dealers' terms add up to
// the group secret) drawn from rnd alone, node after node (kyber's
// Config.Reader with UserReaderOnly). A test fixes rnd so that its network
// has the same group key on every run, hence the same signatures,
// codewords and disc keys; the other coefficients, the DKG keys and the
// bundles' encryption stay random, and change nothing the group signs.
// For tests only: a network's secret comes from crypto/rand, through
// RunInProcess, and chain.InitHomes, the one caller, refuses a fixed
// stream outside a test binary (ErrFixedRand). The check is there, not
// here, so that the station's binary, which links this package but runs
// no DKG, does not link package testing.
func RunInProcessFrom(cc CeremonyConfig, keys []*DKGKey, rnd io.Reader) ([]*DKGResult, error) {
	const op = "custody.RunInProcessFrom"
	if rnd == nil {
		return nil, fmt.Errorf("%s: %w: no random stream given; use RunInProcess", op, ErrFixedRand)
	}
	return runInProcess(op, cc, keys, rnd)
}

func runInProcess(op string, cc CeremonyConfig, keys []*DKGKey, rnd io.Reader) ([]*DKGResult, error) {
	res, errs := runCeremony(cc, keys, rnd, nil)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for i := 1; i < len(res); i++ {
		if !res[i].Group.Equal(res[0].Group) {
			return nil, fmt.Errorf("%s: %w: node %d computed a different group key", op, ErrDKG, i)
		}
	}
	return res, nil
}

// runCeremony drives the phases; rnd, when set, is every node's secret
// (newCeremony); tamper, when set, may replace or drop (return nil) a
// published deal file, as a faulty dealer or channel would. A node that
// fails leaves the ceremony; its slot in results is nil.
func runCeremony(cc CeremonyConfig, keys []*DKGKey, rnd io.Reader, tamper func(dealer int, deal []byte) []byte) ([]*DKGResult, []error) {
	ps, errs := make([]party, len(keys)), make([]error, len(keys))
	for i, k := range keys {
		c, err := newCeremony(cc, k, rnd)
		if err != nil {
			errs[i] = fmt.Errorf("node %d: %w", i, err)
			continue
		}
		ps[i] = c
	}
	var tm func(int, []byte) [][]byte
	if tamper != nil {
		tm = func(i int, b []byte) [][]byte {
			if b = tamper(i, b); b == nil {
				return nil
			}
			return [][]byte{b}
		}
	}
	return runPhases(ps, errs, "node", tm)
}

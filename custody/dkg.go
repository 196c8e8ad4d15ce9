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
	cfg      *dkg.Config
	gen      *dkg.DistKeyGenerator
	self     int
	n        int
	ownDeal  []byte
	result   *dkg.Result
	Rejected []*NodeError
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
	gen, err := dkg.NewDistKeyHandler(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrDKG, err)
	}
	return &Ceremony{cfg: cfg, gen: gen, self: self, n: n}, nil
}

// Deal makes this node's deal file: commitments to its polynomial and one
// share encrypted to each other node's DKG key, signed.
func (c *Ceremony) Deal() ([]byte, error) {
	d, err := c.gen.Deals()
	if err != nil {
		return nil, fmt.Errorf("custody.Ceremony.Deal: %w: %v", ErrDKG, err)
	}
	b, err := encodeDeal(d)
	if err != nil {
		return nil, fmt.Errorf("custody.Ceremony.Deal: %w", err)
	}
	c.ownDeal = b
	return bytes.Clone(b), nil
}

// Respond processes every node's deal file (this node's own included: it
// must be there unchanged, else ErrDealRejected, since the others will
// exclude this node's polynomial). It returns this node's complaints, or nil.
func (c *Ceremony) Respond(deals [][]byte) ([]byte, error) {
	const op = "custody.Ceremony.Respond"
	var own bool
	for _, d := range deals {
		own = own || bytes.Equal(d, c.ownDeal)
	}
	if !own {
		return nil, fmt.Errorf("%s: %w", op, ErrDealRejected)
	}
	bundles := decodeAll(c.cfg, deals, DecodeDeal, &c.Rejected)
	rb, err := c.gen.ProcessDeals(bundles)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrDKG, err)
	}
	if rb == nil {
		return nil, nil
	}
	return encodeResponse(rb), nil
}

// Justify processes every node's response file. When there is no
// complaint, the key is already determined and it returns nil; otherwise it
// returns this node's justifications (its shares for the complainers, made
// public), or nil if no one complained about it.
func (c *Ceremony) Justify(responses [][]byte) ([]byte, error) {
	const op = "custody.Ceremony.Justify"
	bundles := decodeAll(c.cfg, responses, DecodeResponse, &c.Rejected)
	res, jb, err := c.gen.ProcessResponses(bundles)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrDKG, err)
	}
	c.result = res
	if jb == nil {
		return nil, nil
	}
	b, err := encodeJustification(jb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return b, nil
}

// Finish processes the justification files and returns the result. A dealer
// with an unanswered complaint is left out of the qualified set; fewer than
// t qualified dealers is ErrDKG.
func (c *Ceremony) Finish(justifications [][]byte) (*DKGResult, error) {
	const op = "custody.Ceremony.Finish"
	res := c.result
	if res == nil {
		bundles := decodeAll(c.cfg, justifications, DecodeJustification, &c.Rejected)
		var err error
		if res, err = c.gen.ProcessJustifications(bundles); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", op, ErrDKG, err)
		}
	}
	if res == nil || res.Key == nil {
		return nil, fmt.Errorf("%s: %w: no key share for this node", op, ErrDKG)
	}
	g, err := NewGroup(c.n, res.Key.Commits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", op, ErrDKG, err)
	}
	ks := newKeyShare(res.Key.Share)
	if ks.Node != c.self || !g.PublicShare(ks.Node).Equal(dkgSuite.Point().Mul(ks.v, nil)) {
		ks.Wipe()
		return nil, fmt.Errorf("%s: %w: share does not match the group's public polynomial", op, ErrDKG)
	}
	out := &DKGResult{Group: g, Share: ks}
	for _, q := range res.QUAL {
		out.Qualified = append(out.Qualified, int(q.Index))
	}
	res.Key.Share.V.Zero()
	return out, nil
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
	n := len(keys)
	cs := make([]*Ceremony, n)
	errs := make([]error, n)
	fail := func(i int, err error) { errs[i], cs[i] = fmt.Errorf("node %d: %w", i, err), nil }
	for i, k := range keys {
		c, err := newCeremony(cc, k, rnd)
		if err != nil {
			fail(i, err)
			continue
		}
		cs[i] = c
	}
	phase := func(step func(i int, c *Ceremony, in [][]byte) ([]byte, error), in [][]byte) [][]byte {
		var out [][]byte
		for i, c := range cs {
			if c == nil {
				continue
			}
			b, err := step(i, c, in)
			if err != nil {
				fail(i, err)
				continue
			}
			if b != nil {
				out = append(out, b)
			}
		}
		return out
	}
	deals := phase(func(i int, c *Ceremony, _ [][]byte) ([]byte, error) {
		b, err := c.Deal()
		if err == nil && tamper != nil {
			b = tamper(i, b)
		}
		return b, err
	}, nil)
	resps := phase(func(_ int, c *Ceremony, in [][]byte) ([]byte, error) { return c.Respond(in) }, deals)
	justs := phase(func(_ int, c *Ceremony, in [][]byte) ([]byte, error) { return c.Justify(in) }, resps)
	results := make([]*DKGResult, n)
	phase(func(i int, c *Ceremony, in [][]byte) ([]byte, error) {
		r, err := c.Finish(in)
		results[i] = r
		return nil, err
	}, justs)
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return results, out
}

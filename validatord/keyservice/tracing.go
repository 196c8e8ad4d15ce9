package keyservice

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"sync"

	"copystation/custody"
	"copystation/tracing/accuse"
	"copystation/tracing/tardos"
	"copystation/validatord/contract"
)

// ErrTitlePartials: for a title registered with tracing parameters, fewer
// than t partials on the title's tracing label (this node's own and those
// the station relayed, sealed to this node) verify, so the node cannot
// derive the copy's Tardos codeword and releases nothing.
var ErrTitlePartials = errors.New("keyservice: too few valid title partials to derive the traced title's codewords; ask the nodes for round 1 again and relay every title partial they send")

// TitlePartial is a node's partial on a traced title's tracing label,
// sealed to custody node To (custody.SealTitlePartial), as the release
// rounds carry it (protocol.TitlePartial).
type TitlePartial struct {
	From, To int
	Sealed   []byte
}

// biasCache keeps each traced title's biases once this node has combined
// σ_title, so later copies need no title partials: the node's memory holds
// them as it holds its custody share.
type biasCache struct {
	mu sync.Mutex
	m  map[string]tardos.Biases
}

func (c *biasCache) get(id string) (tardos.Biases, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[id]
	return b, ok
}

func (c *biasCache) put(id string, b tardos.Biases) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]tardos.Biases{}
	}
	c.m[id] = b
}

// TitlePartials is round 1's extra for a title registered with tracing
// parameters: this node's partial on the title's tracing label, sealed to
// every other custody node of genesis. The station relays them in round 2
// and can open none. A title without tracing gets none.
func (s *Service) TitlePartials(cu *Custodian, cust *contract.Custody, t *contract.Title) ([]TitlePartial, error) {
	const op = "keyservice.TitlePartials"
	if t.Tracing == nil {
		return nil, nil
	}
	ef, err := s.inForce(op)
	if err != nil {
		return nil, err
	}
	defer ef.done()
	if ef.cust != nil {
		cust = ef.cust // the epoch's set: partials go to its nodes
	}
	if ef.share == nil || cu == nil {
		return nil, fmt.Errorf("%s: %w", op, ErrNoCustody)
	}
	me, err := cu.Index(cust)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	label, err := custody.TracingLabel(s.cust.ChainID, t.ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	p, err := custody.PartialSign(ef.share, label)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	p.Node = me
	var out []TitlePartial
	for i, n := range cust.Nodes {
		if i == me {
			continue
		}
		pub, err := x25519Key(n.CustodyKey)
		if err != nil {
			return nil, fmt.Errorf("%s: custody node %d (%s): %w", op, i, n.Name, err)
		}
		sealed, err := custody.SealTitlePartial(pub, s.cust.ChainID, t.ID, i, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, TitlePartial{From: me, To: i, Sealed: sealed})
	}
	return out, nil
}

func x25519Key(b []byte) (*ecdh.PublicKey, error) {
	k, err := ecdh.X25519().NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("custody key: %w", err)
	}
	return k, nil
}

// tardosDerive returns how this node derives a copy's codeword for title
// t: custody's uniform bits (nil) for a title without tracing; for a traced
// title, tardos.DeriveCodeword of σ_copy's codeword seed under the title's
// biases (docs/tracing.md, "Opening").
func (s *Service) tardosDerive(cu *Custodian, cust *contract.Custody, g *custody.Group, t *contract.Title,
	partials []TitlePartial) (func(custody.Signature, int) (custody.Codeword, error), error) {
	if t.Tracing == nil {
		return nil, nil
	}
	b, err := s.titleBiases(cu, cust, g, t, partials)
	if err != nil {
		return nil, err
	}
	return func(sig custody.Signature, n int) (custody.Codeword, error) {
		return TardosCodeword(sig, b, n)
	}, nil
}

// TardosCodeword is a traced title's codeword for the copy whose group
// signature is sig: σ's codeword seed (custody.DeriveCodeword) mapped
// through the biases (tardos.DeriveCodeword), n bits.
func TardosCodeword(sig custody.Signature, b tardos.Biases, n int) (custody.Codeword, error) {
	if len(b.T) != n {
		return custody.Codeword{}, fmt.Errorf("keyservice.TardosCodeword: %w: %d biases for %d segments", tardos.ErrLength, len(b.T), n)
	}
	u, err := custody.DeriveCodeword(sig, 1)
	if err != nil {
		return custody.Codeword{}, fmt.Errorf("keyservice.TardosCodeword: %w", err)
	}
	tw, err := tardos.DeriveCodeword(u.Seed, b)
	if err != nil {
		return custody.Codeword{}, fmt.Errorf("keyservice.TardosCodeword: %w", err)
	}
	return custody.CodewordFromBits(tw, n)
}

// titleBiases returns the traced title's biases: from the cache, or by
// combining σ_title from this node's own partial and the relayed ones
// sealed to it (each checked against its node's public share; a bad one is
// skipped), checked against the group key.
func (s *Service) titleBiases(cu *Custodian, cust *contract.Custody, g *custody.Group, t *contract.Title, partials []TitlePartial) (tardos.Biases, error) {
	const op = "keyservice.titleBiases"
	if b, ok := s.biases.get(t.ID); ok {
		return b, nil
	}
	ef, err := s.inForce(op)
	if err != nil {
		return tardos.Biases{}, err
	}
	defer ef.done()
	me, err := cu.Index(cust)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("%s: %w", op, err)
	}
	label, err := custody.TracingLabel(s.cust.ChainID, t.ID)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("%s: %w", op, err)
	}
	own, err := custody.PartialSign(ef.share, label)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("%s: %w", op, err)
	}
	own.Node = me
	ps := []custody.Partial{own}
	var errs []error
	seen := map[int]bool{me: true}
	for _, p := range partials {
		if p.To != me || seen[p.From] {
			continue
		}
		seen[p.From] = true // one try per sender: a station cannot make the node open many
		q, err := custody.OpenTitlePartial(cu.key, s.cust.ChainID, t.ID, p.From, me, p.Sealed)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps = append(ps, q)
	}
	sig, _, err := custody.Combine(g, label, ps)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("%s: title %s: %w: %w", op, t.ID, ErrTitlePartials, errors.Join(append([]error{err}, errs...)...))
	}
	b, err := accuse.TitleBiases(g, s.cust.ChainID, t.ID, t.Tracing.Coalition, len(t.Segments), sig)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("%s: title %s: %w", op, t.ID, err)
	}
	s.biases.put(t.ID, b)
	return b, nil
}

package custody

import (
	"bytes"
	"fmt"

	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
)

// phases is kyber's Pedersen phases over the file encodings ("Encodings"),
// as the genesis ceremony (Ceremony) and the resharing (Reshare) both run
// them: deal, responses, justifications, result. Each wraps it with who
// takes part in which phase; the kyber calls, the bundles' decoding (a bad
// one dropped and named in Rejected) and the result's checks are here once.
type phases struct {
	cfg     *dkg.Config
	gen     *dkg.DistKeyGenerator
	op      string // "custody.Ceremony", "custody.Reshare": the errors' prefix
	kind    error  // ErrDKG or ErrReshare
	ownDeal []byte
	result  *dkg.Result
	// Rejected names every bundle dropped so far: it did not parse or is
	// not signed by the node it names for this session.
	Rejected []*NodeError
}

func newPhases(cfg *dkg.Config, op string, kind error) (phases, error) {
	gen, err := dkg.NewDistKeyHandler(cfg)
	if err != nil {
		return phases{}, err
	}
	return phases{cfg: cfg, gen: gen, op: op, kind: kind}, nil
}

// deal makes this node's deal file and keeps it, so respond can check that
// the exchange carries it unchanged.
func (p *phases) deal() ([]byte, error) {
	d, err := p.gen.Deals()
	if err != nil {
		return nil, fmt.Errorf("%s.Deal: %w: %v", p.op, p.kind, err)
	}
	b, err := encodeDeal(d)
	if err != nil {
		return nil, fmt.Errorf("%s.Deal: %w", p.op, err)
	}
	p.ownDeal = b
	return bytes.Clone(b), nil
}

// respond processes the deal files into this node's complaints (nil: none).
// A dealer (ownDealt) must find its own deal there unchanged, else
// ErrDealRejected: the others will leave its polynomial out.
func (p *phases) respond(deals [][]byte, ownDealt bool) ([]byte, error) {
	op := p.op + ".Respond"
	if ownDealt && !containsBytes(deals, p.ownDeal) {
		return nil, fmt.Errorf("%s: %w", op, ErrDealRejected)
	}
	rb, err := p.gen.ProcessDeals(decodeAll(p.cfg, deals, DecodeDeal, &p.Rejected))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, p.kind, err)
	}
	if rb == nil {
		return nil, nil
	}
	return encodeResponse(rb), nil
}

// justify processes the response files into this node's justifications
// (nil: no complaint against it); with no complaint at all the result is
// already known.
func (p *phases) justify(responses [][]byte) ([]byte, error) {
	op := p.op + ".Justify"
	res, jb, err := p.gen.ProcessResponses(decodeAll(p.cfg, responses, DecodeResponse, &p.Rejected))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, p.kind, err)
	}
	p.result = res
	if jb == nil {
		return nil, nil
	}
	b, err := encodeJustification(jb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return b, nil
}

// finish processes the justification files (unless justify already had
// the result) and returns this node's group of n nodes and its share,
// which must sit at index self on the group's public polynomial; check,
// if set, vets the group first. kyber's copy of the share is zeroed.
func (p *phases) finish(justifications [][]byte, n, self int, check func(*Group) error) (*DKGResult, error) {
	op := p.op + ".Finish"
	res := p.result
	if res == nil {
		var err error
		if res, err = p.gen.ProcessJustifications(decodeAll(p.cfg, justifications, DecodeJustification, &p.Rejected)); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", op, p.kind, err)
		}
	}
	if res == nil || res.Key == nil {
		return nil, fmt.Errorf("%s: %w: no key share for this node", op, p.kind)
	}
	defer res.Key.Share.V.Zero()
	g, err := NewGroup(n, res.Key.Commits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", op, p.kind, err)
	}
	if check != nil {
		if err := check(g); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", op, p.kind, err)
		}
	}
	ks := newKeyShare(res.Key.Share)
	if ks.Node != self || !g.PublicShare(ks.Node).Equal(dkgSuite.Point().Mul(ks.v, nil)) {
		ks.Wipe()
		return nil, fmt.Errorf("%s: %w: share does not match the group's public polynomial", op, p.kind)
	}
	out := &DKGResult{Group: g, Share: ks}
	for _, q := range res.QUAL {
		out.Qualified = append(out.Qualified, int(q.Index))
	}
	return out, nil
}

func containsBytes(set [][]byte, b []byte) bool {
	for _, s := range set {
		if bytes.Equal(s, b) {
			return true
		}
	}
	return false
}

// party is one participant's side of the phases (Ceremony, Reshare).
type party interface {
	Deal() ([]byte, error)
	Respond(deals [][]byte) ([]byte, error)
	Justify(responses [][]byte) ([]byte, error)
	Finish(justifications [][]byte) (*DKGResult, error)
}

// runPhases drives every party through the phases in one process, each
// phase fed every file the previous one published (an in-process
// broadcast). ps[i] nil is a party that could not start; errs[i] says
// why. tamper, when set, gives the files published for party i's deal
// (none, a changed one, or it twice), as a faulty dealer or channel
// would. A party that fails leaves; its result is nil. what names a party
// in errors ("node", "party").
func runPhases(ps []party, errs []error, what string, tamper func(i int, deal []byte) [][]byte) ([]*DKGResult, []error) {
	fail := func(i int, err error) { errs[i], ps[i] = fmt.Errorf("%s %d: %w", what, i, err), nil }
	phase := func(step func(i int, p party, in [][]byte) ([][]byte, error), in [][]byte) [][]byte {
		var out [][]byte
		for i, p := range ps {
			if p == nil {
				continue
			}
			bs, err := step(i, p, in)
			if err != nil {
				fail(i, err)
				continue
			}
			out = append(out, bs...)
		}
		return out
	}
	one := func(b []byte, err error) ([][]byte, error) {
		if b == nil {
			return nil, err
		}
		return [][]byte{b}, err
	}
	deals := phase(func(i int, p party, _ [][]byte) ([][]byte, error) {
		b, err := p.Deal()
		if err == nil && b != nil && tamper != nil {
			return tamper(i, b), nil
		}
		return one(b, err)
	}, nil)
	resps := phase(func(_ int, p party, in [][]byte) ([][]byte, error) { return one(p.Respond(in)) }, deals)
	justs := phase(func(_ int, p party, in [][]byte) ([][]byte, error) { return one(p.Justify(in)) }, resps)
	results := make([]*DKGResult, len(ps))
	phase(func(i int, p party, in [][]byte) ([][]byte, error) {
		r, err := p.Finish(in)
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

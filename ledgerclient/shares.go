package ledgerclient

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"slices"
	"time"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
)

// SealedRelease is one node's round-2 answer for a copy of a dealt title:
// its share release (custody.Release) sealed to this station
// (keys.SealRelease) under Info, whose transcript is that node's
// connection's.
type SealedRelease struct {
	// Node is the answering node's custody index (genesis order) if the
	// caller knows it, else -1: the release names its own, and a node
	// claiming another's index fails that node's root.
	Node   int
	Info   keys.Info
	Sealed []byte
}

// CombineReleases is the station's side of round 2 for a dealt title: it
// opens each node's release with the station's key-agreement key
// (TPM-resident), checks it against that node's share root from the title
// manifest, combines t valid releases per key (custody.CombineKeys) and
// returns the package keys this copy may hold: the base key and, per
// segment, the variant cw selects. The shares are wiped before it returns;
// the caller wipes the keys.
//
// Every release that does not open, names another node than the one it came
// from, names another codeword than cw, or does not match its root is
// returned in rejected (a *custody.NodeError wrapping custody.ErrBadShare):
// the caller asks another node and calls again with the releases so far.
// Fewer than t valid releases is an error wrapping
// custody.ErrNotEnoughShares.
func CombineReleases(kex ecdh.KeyExchanger, chainID string, m *titlepkg.Manifest, t int, cw custody.Codeword,
	sealed []SealedRelease) (k *titlepkg.Keys, rejected []*custody.NodeError, err error) {
	k, _, rejected, err = combineReleases(kex, chainID, m, t, &cw, sealed)
	return k, rejected, err
}

// CombineTracedReleases is CombineReleases for a title registered with
// tracing parameters, whose codeword (Tardos, from biases only the nodes
// know) the station cannot derive: each release names the codeword its
// node selected for, and the keys come from t releases that name the same
// one and check against their roots. It returns that codeword; a release
// naming another is rejected (custody.ErrBadShare), so no single node
// chooses the variants.
func CombineTracedReleases(kex ecdh.KeyExchanger, chainID string, m *titlepkg.Manifest, t int,
	sealed []SealedRelease) (*titlepkg.Keys, custody.Codeword, []*custody.NodeError, error) {
	return combineReleases(kex, chainID, m, t, nil, sealed)
}

func combineReleases(kex ecdh.KeyExchanger, chainID string, m *titlepkg.Manifest, t int, want *custody.Codeword,
	sealed []SealedRelease) (k *titlepkg.Keys, cw custody.Codeword, rejected []*custody.NodeError, err error) {
	const op = "ledgerclient.CombineReleases"
	if len(m.ShareRoots) == 0 {
		return nil, cw, nil, fmt.Errorf("%s: %w: title %s has no share roots in its manifest (not a dealt title)", op, ErrBadRequestParams, m.TitleID)
	}
	title := custody.Title{ChainID: chainID, TitleID: m.TitleID, Segments: len(m.Segments)}
	var rels []*custody.Release
	defer func() {
		for _, r := range rels {
			r.Wipe()
		}
	}()
	for _, s := range sealed {
		r, err := openRelease(kex, s)
		if err != nil {
			rejected = append(rejected, &custody.NodeError{Node: s.Node, Err: fmt.Errorf("%w: %w", custody.ErrBadShare, err)})
			continue
		}
		rels = append(rels, r)
	}
	// group the releases by the codeword they name, largest group first;
	// with want, only that codeword counts
	var groups [][]*custody.Release
	for _, r := range rels {
		if want != nil && !want.Equal(r.Codeword) {
			rejected = append(rejected, &custody.NodeError{Node: r.Node, Err: fmt.Errorf("%w: the release names another codeword than the copy's group signature gives", custody.ErrBadShare)})
			continue
		}
		i := slices.IndexFunc(groups, func(g []*custody.Release) bool { return g[0].Codeword.Equal(r.Codeword) })
		if i < 0 {
			groups = append(groups, nil)
			i = len(groups) - 1
		}
		groups[i] = append(groups[i], r)
	}
	slices.SortStableFunc(groups, func(a, b []*custody.Release) int { return len(b) - len(a) })
	if len(groups) == 0 {
		groups = append(groups, nil)
	}
	var errs []error
	for gi, g := range groups {
		switch {
		case want != nil:
			cw = *want
		case len(g) > 0:
			cw = g[0].Codeword
		}
		ck, bad, err := custody.CombineKeys(title, m.ShareRoots, t, g, cw)
		if err != nil {
			errs = append(errs, err)
			rejected = append(rejected, bad...)
			continue
		}
		defer ck.Wipe()
		rejected = append(rejected, bad...)
		for gj, h := range groups {
			if gj == gi {
				continue
			}
			for _, r := range h {
				rejected = append(rejected, &custody.NodeError{Node: r.Node, Err: fmt.Errorf("%w: the release names another codeword than %d nodes that agree", custody.ErrBadShare, t)})
			}
		}
		return ck.PackageKeys(), cw, rejected, nil
	}
	return nil, cw, rejected, fmt.Errorf("%s: title %s: %w", op, m.TitleID, errors.Join(errs...))
}

// openRelease opens and decodes one node's release and checks it is that
// node's when the caller knows which node it is.
func openRelease(kex ecdh.KeyExchanger, s SealedRelease) (*custody.Release, error) {
	body, err := keys.OpenRelease(kex, s.Info, s.Sealed)
	if err != nil {
		return nil, err
	}
	defer keys.Zero(body)
	r, err := custody.UnmarshalRelease(body)
	if err != nil {
		return nil, err
	}
	if s.Node >= 0 && r.Node != s.Node {
		r.Wipe()
		return nil, fmt.Errorf("node %d answered with node %d's release", s.Node, r.Node)
	}
	return r, nil
}

// shareRelease is round 2 at one node for a dealt title: the copy's group
// signature, answered by the node's sealed share release, checked for its
// signature and returned unopened.
func (s *session) shareRelease(p CopyRequestParams, r1 *round1) (SealedRelease, error) {
	if s.chal.ChainID != r1.chainID {
		return SealedRelease{}, fmt.Errorf("%w: the node serves network %q, the copy's partials came from %q", ErrWrongChain, s.chal.ChainID, r1.chainID)
	}
	hh := s.ch.HandshakeHash()
	req := &protocol.KeyRequestMsg{StationID: s.c.stationID, JobID: p.JobID, Attempt: p.Attempt, MediaID: p.MediaID, Sigma: r1.sigma[:],
		TitlePartials: r1.titlePartials}
	sig, err := protocol.Sign(s.c.cfg.Random, s.c.cfg.Signer, req.Statement(hh, s.chal))
	if err != nil {
		return SealedRelease{}, err
	}
	req.Signature = sig
	a, err := s.exchange(req)
	if err != nil {
		return SealedRelease{}, err
	}
	rel, ok := a.(*protocol.ShareReleaseMsg)
	switch {
	case !ok:
		return SealedRelease{}, fmt.Errorf("%w: %s instead of a share release", protocol.ErrUnexpected, a.Type())
	case rel.JobID != p.JobID || rel.Attempt != p.Attempt:
		return SealedRelease{}, fmt.Errorf("%w: share release for job %q attempt %d, asked for %q attempt %d", ErrNodeMisbehaved, rel.JobID, rel.Attempt, p.JobID, p.Attempt)
	}
	if err := protocol.Verify(s.node.SigningKey, rel.Statement(s.chal.ChainID, hh), rel.NodeSignature); err != nil {
		return SealedRelease{}, fmt.Errorf("%w: share release signature: %w", ErrNodeMisbehaved, err)
	}
	return SealedRelease{Node: -1, Info: keys.Info{JobID: p.JobID, MediaID: p.MediaID, Transcript: hh}, Sealed: rel.Sealed}, nil
}

// releaseShares is round 2 for a dealt title: it sends the copy's group
// signature to the nodes that gave partials, then to the others, and
// combines their share releases as they come until t check against the
// manifest's roots. A node whose release does not check is named, logged
// and skipped. The copy's keys are the combined base key and selected
// variant keys, the codeword from sigma (one bit per segment) and the disc
// key from sigma; no node's answer carries a key.
func (c *Client) releaseShares(ctx context.Context, p CopyRequestParams, r1 *round1) (*Authorization, error) {
	m := c.manifestAt(p.Manifest)
	// A title without tracing takes custody's uniform bits, which the
	// station derives from sigma and holds every node to; a traced title's
	// Tardos codeword needs biases only the nodes know, so it comes from t
	// releases that agree (docs/tracing.md, "Opening").
	var want *custody.Codeword
	if len(r1.titlePartials) == 0 {
		cw, err := custody.DeriveCodeword(r1.sigma, len(m.Segments))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequestParams, err)
		}
		want = &cw
	}
	order := append([]Node(nil), r1.from...)
	for _, n := range c.cfg.Nodes {
		if !containsNode(order, n) {
			order = append(order, n)
		}
	}
	var (
		got    []SealedRelease
		errs   []error
		bad    []*custody.NodeError
		logged = map[string]bool{}
	)
	for _, node := range order {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		var sr SealedRelease
		err := c.withSession(ctx, node, func(s *session) error {
			r, err := s.shareRelease(p, r1)
			sr = r
			return err
		})
		if err != nil {
			if definitive(err) && !errors.Is(err, ErrBadSigma) && !errors.Is(err, ErrCopyUnknown) {
				return nil, err
			}
			errs = append(errs, fmt.Errorf("node %s (%s): %w", node.ID(), node.Address, err))
			continue
		}
		got = append(got, sr)
		if len(got) < c.curGroup().T() {
			continue
		}
		k, cw, rejected, err := combineReleases(c.cfg.KeyExchanger, r1.chainID, m, c.curGroup().T(), want, got)
		for _, r := range rejected {
			if !logged[r.Error()] {
				logged[r.Error()] = true
				c.logf("station: share release of custody %v; asking another node", r)
			}
		}
		bad = rejected
		if errors.Is(err, custody.ErrNotEnoughShares) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return c.sharesAuthorization(p, r1, k, cw, bad)
	}
	all := []error{fmt.Errorf("%w: fewer than %d nodes' share releases check against the title's roots", ErrNoNodeReachable, c.curGroup().T())}
	for _, b := range bad {
		all = append(all, b)
	}
	return nil, errors.Join(append(all, errs...)...)
}

// sharesAuthorization turns the combined package keys into the copy's keys.
func (c *Client) sharesAuthorization(p CopyRequestParams, r1 *round1, k *titlepkg.Keys, cw custody.Codeword, bad []*custody.NodeError) (*Authorization, error) {
	ck := &keys.CopyKeys{BaseKey: k.Base, Codeword: cw.Bytes(), Format: keys.FormatMetadata(r1.format)}
	for s, v := range k.Variants {
		ck.VariantKeys = append(ck.VariantKeys, v[cw.Bit(s)])
	}
	dk, err := custody.DiscKey(r1.sigma, p.Attempt, p.MediaID)
	if err != nil {
		k.Wipe()
		return nil, err
	}
	ck.DiscKey, ck.Revoked = dk[:], r1.revoked
	a := &Authorization{Keys: ck, Format: keys.FormatMetadata(r1.format), Receipt: r1.receipt, Partials: r1.partials, Rejected: r1.rejected,
		SpendTime: r1.spent, ReleaseTime: time.Since(r1.start)}
	for _, b := range bad {
		a.Rejected = append(a.Rejected, b)
	}
	return a, nil
}

package ledgerclient

import (
	"crypto/ecdh"
	"fmt"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
)

// SealedRelease is one node's round-2 answer for a copy: its share release
// (custody.Release) sealed to this station (keys.SealRelease).
type SealedRelease struct {
	// Node is the answering node's custody index (genesis order), from the
	// station's own node list, not from the release.
	Node   int
	Sealed []byte
}

// CombineReleases is the station's side of round 2: it opens each node's
// release with the station's key-agreement key (TPM-resident), checks it
// against that node's share root from the title manifest, combines t valid
// releases per key (custody.CombineKeys) and returns the package keys this
// copy may hold: the base key and, per segment, the variant cw selects. The
// shares are wiped before it returns; the caller wipes the keys.
//
// Every release that does not open, names another node, or does not match
// its root is returned in rejected (a *custody.NodeError wrapping
// custody.ErrBadShare): the caller asks another node and calls again with
// the releases so far. Fewer than t valid releases is an error wrapping
// custody.ErrNotEnoughShares.
func CombineReleases(kex ecdh.KeyExchanger, info keys.Info, chainID string, m *titlepkg.Manifest, t int, cw custody.Codeword,
	sealed []SealedRelease) (k *titlepkg.Keys, rejected []*custody.NodeError, err error) {
	const op = "ledgerclient.CombineReleases"
	if len(m.ShareRoots) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: title %s has no share roots in its manifest (not a dealt title)", op, ErrBadRequestParams, m.TitleID)
	}
	title := custody.Title{ChainID: chainID, TitleID: m.TitleID, Segments: len(m.Segments)}
	var rels []*custody.Release
	defer func() {
		for _, r := range rels {
			r.Wipe()
		}
	}()
	for _, s := range sealed {
		r, err := openRelease(kex, info, s)
		if err != nil {
			rejected = append(rejected, &custody.NodeError{Node: s.Node, Err: fmt.Errorf("%w: %w", custody.ErrBadShare, err)})
			continue
		}
		rels = append(rels, r)
	}
	ck, bad, err := custody.CombineKeys(title, m.ShareRoots, t, rels, cw)
	rejected = append(rejected, bad...)
	if err != nil {
		return nil, rejected, fmt.Errorf("%s: title %s: %w", op, m.TitleID, err)
	}
	defer ck.Wipe()
	return ck.PackageKeys(), rejected, nil
}

// openRelease opens and decodes one node's release and checks it is that
// node's.
func openRelease(kex ecdh.KeyExchanger, info keys.Info, s SealedRelease) (*custody.Release, error) {
	body, err := keys.OpenRelease(kex, info, s.Sealed)
	if err != nil {
		return nil, err
	}
	defer keys.Zero(body)
	r, err := custody.UnmarshalRelease(body)
	if err != nil {
		return nil, err
	}
	if r.Node != s.Node {
		r.Wipe()
		return nil, fmt.Errorf("node %d answered with node %d's release", s.Node, r.Node)
	}
	return r, nil
}

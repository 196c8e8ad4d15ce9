// Package players is the node's and the maker's side of enrolling a
// disc player (docs/key-custody.md, "Players"), shared by the validatord
// commands and the simulated network of tests and the demo.
package players

import (
	"crypto/ecdh"
	"errors"
	"fmt"

	"copystation/custody"
	"copystation/custody/playertree"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
)

// Errors of enrollment.
var (
	ErrRevoked = errors.New("players: the player is revoked: no keys are extracted for it")
	ErrNoShare = errors.New("players: this node holds no custody share in force (a home from before the genesis ceremony, or a node not in the custody epoch in force)")
)

// Partials is a node's part, for an enrollment p read from its own
// committed ledger: its custody share in force (ks.ShareInForce: the
// ceremony share at epoch 0, its reshared share after a resharing) signs
// the labels of the leaf's path, sealed to the maker's key p names.
func Partials(ks *keyservice.Service, tr playertree.Tree, p *contract.Player) (file []byte, node int, err error) {
	if p.RevokedFrom != 0 {
		return nil, 0, fmt.Errorf("players.Partials: leaf %d of tree %s, revoked from height %d: %w", p.Leaf, tr.ID, p.RevokedFrom, ErrRevoked)
	}
	if p.Tree != tr.ID || p.Depth != tr.Depth {
		return nil, 0, fmt.Errorf("players.Partials: the enrollment names tree %s of depth %d, the network's is %s of depth %d", p.Tree, p.Depth, tr.ID, tr.Depth)
	}
	maker, err := ecdh.X25519().NewPublicKey(p.MakerKey)
	if err != nil {
		return nil, 0, fmt.Errorf("players.Partials: the enrollment's maker key: %w", err)
	}
	in, err := ks.ShareInForce()
	if errors.Is(err, keyservice.ErrNoCustody) {
		return nil, 0, fmt.Errorf("players.Partials: %w: %w", ErrNoShare, err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("players.Partials: %w", err)
	}
	defer in.Done()
	ps, err := playertree.Extract(tr, p.Leaf, in.Share)
	if err != nil {
		return nil, 0, fmt.Errorf("players.Partials: %w", err)
	}
	f, err := playertree.SealPartials(maker, tr, p.Leaf, ps)
	if err != nil {
		return nil, 0, fmt.Errorf("players.Partials: %w", err)
	}
	return f, in.Share.Node, nil
}

// Keys is the maker's part: it opens t nodes' partials files and makes
// the device keys of the one leaf they are for, every partial and key
// checked against g, the network's group in force (after a resharing the
// epoch's group, ledger.EpochGroup: the nodes' partials are of their
// epoch shares; the device keys are the same, under the same group key).
func Keys(maker *ecdh.PrivateKey, g *custody.Group, files [][]byte) (*playertree.DeviceKeys, error) {
	var tr playertree.Tree
	var leaf uint32
	var byNode [][]custody.Partial
	for i, f := range files {
		t, l, ps, err := playertree.OpenPartials(maker, f)
		if err != nil {
			return nil, fmt.Errorf("players.Keys: file %d: %w", i+1, err)
		}
		if i > 0 && (t != tr || l != leaf) {
			return nil, fmt.Errorf("players.Keys: %w: file %d is for leaf %d of tree %s, file 1 for leaf %d of %s", playertree.ErrPartials, i+1, l, t.ID, leaf, tr.ID)
		}
		tr, leaf, byNode = t, l, append(byNode, ps)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("players.Keys: %w: no files", playertree.ErrPartials)
	}
	k, err := playertree.Combine(tr, leaf, g, byNode)
	if err != nil {
		return nil, fmt.Errorf("players.Keys: %w", err)
	}
	return k, nil
}

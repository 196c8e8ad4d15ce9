package playertree

import (
	"errors"
	"fmt"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
)

// Sizes of the group's encodings (BLS12-381, compressed).
const (
	// KeySize is a node key: a G1 point.
	KeySize = custody.G1Len
	// GroupKeySize is the group public key: a G2 point.
	GroupKeySize = custody.G2Len
)

// Errors of key extraction.
var (
	ErrGroupKey = errors.New("playertree: not a group public key")
	ErrNodeKey  = errors.New("playertree: a device key does not verify against the group key")
)

var suite = custody.Suite()

// ParseGroupKey decodes the network's group public key (96 bytes, G2).
func ParseGroupKey(b []byte) (kyber.Point, error) {
	p, err := custody.ParseG2(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGroupKey, err)
	}
	if p.Equal(suite.G2().Point().Null()) {
		return nil, fmt.Errorf("%w: the identity point (every key block under it opens with no key)", ErrGroupKey)
	}
	return p, nil
}

// PartialExtract is one validation node's part of n's key: its threshold
// BLS partial signature on n's label. A node makes it only for a player
// whose enrollment is final on its ledger.
func PartialExtract(t Tree, n Node, ks *custody.KeyShare) (custody.Partial, error) {
	label, err := t.Label(n)
	if err != nil {
		return custody.Partial{}, fmt.Errorf("playertree.PartialExtract: %w", err)
	}
	return custody.PartialSign(ks, label)
}

// CombineExtract combines t valid partials into n's key, checked against
// the group key: a node's wrong partial is named in the error if too few
// others remain, and skipped otherwise.
func CombineExtract(t Tree, n Node, g *custody.Group, partials []custody.Partial) ([]byte, error) {
	label, err := t.Label(n)
	if err != nil {
		return nil, fmt.Errorf("playertree.CombineExtract: %w", err)
	}
	sig, _, err := custody.Combine(g, label, partials)
	if err != nil {
		return nil, fmt.Errorf("playertree.CombineExtract: node %d/%d: %w", n.Depth, n.Path, err)
	}
	return sig[:], nil
}

// VerifyNodeKey checks a node key against the group key: e(key, G2) =
// e(H(label), X), the key being the group's BLS signature on the label.
func VerifyNodeKey(t Tree, n Node, group kyber.Point, key []byte) error {
	label, err := t.Label(n)
	if err != nil {
		return err
	}
	var sig custody.Signature
	if len(key) != len(sig) {
		return fmt.Errorf("%w: node %d/%d: %d bytes, want %d", ErrNodeKey, n.Depth, n.Path, len(key), len(sig))
	}
	copy(sig[:], key)
	if err := custody.Verify(group, label, sig); err != nil {
		return fmt.Errorf("%w: node %d/%d of tree %q", ErrNodeKey, n.Depth, n.Path, t.ID)
	}
	return nil
}

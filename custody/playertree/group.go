package playertree

import (
	"errors"
	"fmt"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/pairing/bls12381/circl"
	"go.dedis.ch/kyber/v4/share"
	"go.dedis.ch/kyber/v4/sign/bls"
	"go.dedis.ch/kyber/v4/sign/tbls"
)

// Sizes of the group's encodings (BLS12-381, compressed).
const (
	// KeySize is a node key: a G1 point.
	KeySize = 48
	// GroupKeySize is the group public key: a G2 point.
	GroupKeySize = 96
)

// Errors of key extraction.
var (
	ErrGroupKey   = errors.New("playertree: not a group public key")
	ErrNodeKey    = errors.New("playertree: a device key does not verify against the group key")
	ErrExtraction = errors.New("playertree: not enough valid partial extractions")
)

var suite = circl.NewSuiteBLS12381()

// blsScheme verifies a node key as the BLS signature it is.
var blsScheme = bls.NewSchemeOnG1(suite)

var tScheme = tbls.NewThresholdSchemeOnG1(suite)

// ParseGroupKey decodes the network's group public key (96 bytes, G2).
func ParseGroupKey(b []byte) (kyber.Point, error) {
	if len(b) != GroupKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrGroupKey, len(b), GroupKeySize)
	}
	p := suite.G2().Point()
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGroupKey, err)
	}
	return p, nil
}

// PartialExtract is one validation node's part of n's key: its threshold
// BLS partial signature on n's label. A node makes it only for a player
// whose enrollment is final on its ledger.
func PartialExtract(t Tree, n Node, s *share.PriShare) ([]byte, error) {
	if !t.contains(n) {
		return nil, fmt.Errorf("playertree.PartialExtract: %w: node %d/%d", ErrLeaf, n.Depth, n.Path)
	}
	return tScheme.Sign(s, t.Label(n))
}

// CombineExtract combines th valid partials (of nn nodes) into n's key and
// checks it against the group key: a wrong partial is skipped, not trusted.
func CombineExtract(t Tree, n Node, pub *share.PubPoly, partials [][]byte, th, nn int) ([]byte, error) {
	label := t.Label(n)
	key, err := tScheme.Recover(pub, label, partials, uint32(th), uint32(nn))
	if err != nil {
		return nil, fmt.Errorf("playertree.CombineExtract: node %d/%d: %w (%v)", n.Depth, n.Path, ErrExtraction, err)
	}
	if err := blsScheme.Verify(pub.Commit(), label, key); err != nil {
		return nil, fmt.Errorf("playertree.CombineExtract: node %d/%d: %w", n.Depth, n.Path, ErrNodeKey)
	}
	return key, nil
}

// VerifyNodeKey checks a node key against the group key: e(key, G2) =
// e(H(label), X).
func VerifyNodeKey(t Tree, n Node, group kyber.Point, key []byte) error {
	if err := blsScheme.Verify(group, t.Label(n), key); err != nil {
		return fmt.Errorf("%w: node %d/%d of tree %q", ErrNodeKey, n.Depth, n.Path, t.ID)
	}
	return nil
}

package genesis

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"copystation/custody"
	"copystation/validatord/contract"
)

// Errors of a resharing session file, each wrapped with the operation.
var (
	// ErrReshareFile: a session file that does not parse, is out of
	// bounds, or is inconsistent (duplicate nodes, bad threshold).
	ErrReshareFile = errors.New("bad resharing session file")
	// ErrWrongSession: the session is for another chain or another epoch
	// than the one after the custody in force; it was assembled against
	// other ledger state, so every operator needs a fresh one.
	ErrWrongSession = errors.New("resharing session does not fit this ledger")
	// ErrNotInReshare: this node's DKG key is in neither the custody set in
	// force nor the session's new set, so it has no part to play.
	ErrNotInReshare = errors.New("this node is in neither the old nor the new custody set")
)

// ReshareVersion is the session file format's version.
const ReshareVersion = 1

// MaxReshareSize bounds a session file: custody.MaxNodes descriptors with
// room for formatting.
const MaxReshareSize = custody.MaxNodes*(MaxDescriptorSize+256) + 1024

// ReshareSession is the resharing session file every operator runs
// `validatord reshare run` against: the chain, the epoch being made (one
// past the custody in force), the new custody set in its order (node j is
// Shamir index j+1 of the new epoch), the new threshold and a fresh nonce
// naming the session. The old set is not in the file: each node reads it
// from the ledger, so a file cannot name a different one.
type ReshareSession struct {
	Version   int                `json:"version"`
	ChainID   string             `json:"chain_id"`
	Epoch     uint32             `json:"epoch"`
	Threshold int                `json:"threshold"`
	Nonce     hexBytes           `json:"nonce"`
	Nodes     []SignedDescriptor `json:"nodes"`
}

// ReshareOptions are the assembler's choices; the new set comes from the
// descriptors, in the order given.
type ReshareOptions struct {
	ChainID   string
	Epoch     uint32    // the new epoch: the one in force plus one
	Threshold int       // 0: custody.DefaultThreshold(n)
	Rand      io.Reader // the nonce's source; nil: crypto/rand
}

// AssembleReshare checks the descriptors and makes the session file's
// contents.
func AssembleReshare(o ReshareOptions, descs []*SignedDescriptor) (*ReshareSession, error) {
	const op = "genesis.AssembleReshare"
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Threshold == 0 {
		o.Threshold = custody.DefaultThreshold(len(descs))
	}
	s := &ReshareSession{Version: ReshareVersion, ChainID: o.ChainID, Epoch: o.Epoch, Threshold: o.Threshold, Nonce: make([]byte, NonceSize)}
	if _, err := io.ReadFull(o.Rand, s.Nonce); err != nil {
		return nil, fmt.Errorf("%s: nonce: %w", op, err)
	}
	for _, d := range descs {
		s.Nodes = append(s.Nodes, *d)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s, nil
}

// Encode writes the session file (indented JSON).
func (s *ReshareSession) Encode() ([]byte, error) {
	return encodeFile("genesis.ReshareSession.Encode", s)
}

// DecodeReshare parses a session file (at most MaxReshareSize bytes, no
// unknown fields) and checks it whole: version, chain ID, epoch, threshold,
// nonce, and every descriptor with its signature, no node twice. Any
// failure is ErrReshareFile, or ErrDescriptor for a node.
func DecodeReshare(b []byte) (*ReshareSession, error) {
	var s ReshareSession
	if err := decodeFile("genesis.DecodeReshare", b, MaxReshareSize, ErrReshareFile, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *ReshareSession) check() error {
	switch {
	case s.Version != ReshareVersion:
		return fmt.Errorf("%w: version %d, want %d", ErrReshareFile, s.Version, ReshareVersion)
	case s.ChainID == "" || len(s.ChainID) > 50: // CometBFT's MaxChainIDLen
		return fmt.Errorf("%w: chain ID of %d bytes, want 1 to 50", ErrReshareFile, len(s.ChainID))
	case s.Epoch == 0:
		return fmt.Errorf("%w: epoch 0 is the genesis ceremony's; a resharing makes epoch 1 or later", ErrReshareFile)
	case len(s.Nonce) != NonceSize:
		return fmt.Errorf("%w: nonce of %d bytes, want %d", ErrReshareFile, len(s.Nonce), NonceSize)
	}
	if err := custody.CheckThreshold(len(s.Nodes), s.Threshold); err != nil {
		return fmt.Errorf("%w: %v", ErrReshareFile, err)
	}
	return checkNodes(s.Nodes, ErrReshareFile)
}

// NewNodes is the new custody set as the ledger records it (the body of
// the epoch's custody), in the session's order.
func (s *ReshareSession) NewNodes() []contract.CustodyNode {
	out := make([]contract.CustodyNode, len(s.Nodes))
	for i := range s.Nodes {
		d := &s.Nodes[i].Descriptor
		out[i] = contract.CustodyNode{Name: d.Moniker, CustodyKey: bytes.Clone(d.CustodyKey), DKGKey: bytes.Clone(d.DKGKey)}
	}
	return out
}

// Role checks the session against the ledger (its chain ID, the epoch in
// force and that epoch's custody set) and finds the node with DKG public
// key dkgPub in the old and new sets: oldIdx or newIdx is -1 where it is
// absent (a joining or a leaving node). A session for another chain or
// epoch is ErrWrongSession; a node in neither set is ErrNotInReshare.
func (s *ReshareSession) Role(chainID string, current uint32, old []contract.CustodyNode, dkgPub []byte) (oldIdx, newIdx int, err error) {
	const op = "genesis.ReshareSession.Role"
	switch {
	case s.ChainID != chainID:
		return -1, -1, fmt.Errorf("%s: %w: session for chain %q, this node's chain is %q", op, ErrWrongSession, s.ChainID, chainID)
	case s.Epoch != current+1:
		return -1, -1, fmt.Errorf("%s: %w: session makes epoch %d, the epoch in force is %d (want a session for epoch %d)", op, ErrWrongSession, s.Epoch, current, current+1)
	}
	oldIdx, newIdx = -1, -1
	for i, n := range old {
		if bytes.Equal(n.DKGKey, dkgPub) {
			oldIdx = i
		}
	}
	for j := range s.Nodes {
		if bytes.Equal(s.Nodes[j].Descriptor.DKGKey, dkgPub) {
			newIdx = j
		}
	}
	if oldIdx < 0 && newIdx < 0 {
		return -1, -1, fmt.Errorf("%s: %w (is this the right home, and the right session file?)", op, ErrNotInReshare)
	}
	return oldIdx, newIdx, nil
}

// Package vault keeps a validation node's secrets on disk sealed under the
// node's key-encryption key (AES-256-GCM), never in plaintext.
package vault

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"copystation/atomicfile"
	"copystation/keys"
)

// Errors of the vault.
var (
	ErrKEK    = errors.New("vault: the key-encryption key must be 32 bytes")
	ErrSealed = errors.New("vault: the sealed file does not open with this key-encryption key (wrong key or damaged file)")
	// ErrCometKeys: a CometBFT key is missing or not a 64-byte ed25519 key.
	ErrCometKeys = errors.New("vault: a CometBFT key is missing or malformed")
	// ErrDepositKey: the vault holds a network deposit key, the one key
	// every node of an older network held that opens every title
	// registered to it. Nothing uses it now, and a home that still holds
	// it is exactly what key custody forbids, so the vault is refused, not
	// read without it.
	ErrDepositKey = errors.New("vault: the vault holds a network deposit key, which opens every title deposited to its network and which this version no longer uses; make the node again with 'validatord init' in a new home (and the network with the genesis ceremony), then destroy this home and its backups")
)

const (
	aad      = "copystation validatord vault v1"
	maxBytes = 1 << 20
	version  = 1
)

// Secrets are what a node holds in its vault.
type Secrets struct {
	// ConsensusKey is the node's CometBFT validator key (ed25519, 64 bytes).
	ConsensusKey []byte `json:"consensus_key"`
	// NodeKey is the node's CometBFT p2p key (ed25519, 64 bytes).
	NodeKey []byte `json:"node_key"`
	// GatewayKey is the node's own Noise static private key (X25519, 32
	// bytes) for the station gateway.
	GatewayKey []byte `json:"gateway_key"`
	// SignerKey is the node's own P-256 signing key (32-byte scalar): it
	// signs the gateway's challenges, and its KeyID names the node.
	SignerKey []byte `json:"signer_key"`
	// DKGKey is the node's own long-term key for the genesis ceremony's
	// distributed key generation (custody.DKGKey encoding).
	DKGKey []byte `json:"dkg_key,omitempty"`
	// CustodyShare is the node's own share of the network's group secret,
	// made by the ceremony (custody.KeyShare encoding); no other node and
	// no file outside this vault holds it (docs/key-custody.md).
	CustodyShare []byte `json:"custody_share,omitempty"`
	// CustodyKey is the node's own X25519 key issuers seal its title
	// shares to (32 bytes).
	CustodyKey []byte `json:"custody_key,omitempty"`
	// EpochShares are the node's reshared shares of the group secret, one
	// per custody epoch it is in (docs/key-custody.md, "Resharing"): a
	// resharing adds one, and once a later epoch's record commits the
	// older ones and CustodyShare are wiped (WipeBefore).
	EpochShares []EpochShare `json:"epoch_shares,omitempty"`
}

// EpochShare is the node's share x'_j of custody epoch Epoch
// (custody.KeyShare encoding, at its index in that epoch's set).
type EpochShare struct {
	Epoch uint32 `json:"epoch"`
	Share []byte `json:"share"`
}

// WipeBefore zeroes and drops every share of an epoch before e (the
// ceremony share is epoch 0): they are not the network's any more once
// epoch e's record commits, and a departed node's old share still signs
// with t-1 other old ones, so no node keeps them.
func (s *Secrets) WipeBefore(e uint32) {
	if e == 0 {
		return
	}
	keys.Zero(s.CustodyShare)
	s.CustodyShare = nil
	kept := s.EpochShares[:0]
	for _, es := range s.EpochShares {
		if es.Epoch < e {
			keys.Zero(es.Share)
			continue
		}
		kept = append(kept, es)
	}
	s.EpochShares = kept
}

// Wipe zeroes the secrets.
func (s *Secrets) Wipe() {
	keys.Zero(s.ConsensusKey)
	keys.Zero(s.NodeKey)
	keys.Zero(s.GatewayKey)
	keys.Zero(s.SignerKey)
	keys.Zero(s.DKGKey)
	keys.Zero(s.CustodyShare)
	keys.Zero(s.CustodyKey)
	for _, es := range s.EpochShares {
		keys.Zero(es.Share)
	}
}

// CheckCometKeys reports whether the vault holds both CometBFT keys
// (consensus and node) as 64-byte ed25519 keys: a node can neither run
// nor describe itself to a ceremony without them.
func (s *Secrets) CheckCometKeys() error {
	for _, k := range []struct {
		name string
		key  []byte
	}{{"consensus", s.ConsensusKey}, {"node", s.NodeKey}} {
		if len(k.key) != ed25519.PrivateKeySize {
			return fmt.Errorf("%w: the %s key is %d bytes, want %d", ErrCometKeys, k.name, len(k.key), ed25519.PrivateKeySize)
		}
	}
	return nil
}

// Save seals the secrets under kek and writes them atomically (temporary
// file, sync, rename), mode 0600.
func Save(path string, kek []byte, s *Secrets, rnd io.Reader) error {
	plain, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("vault.Save: %w", err)
	}
	defer keys.Zero(plain)
	out, err := Seal(kek, []byte{version}, []byte(aad), plain, rnd)
	if err != nil {
		return fmt.Errorf("vault.Save: %w", err)
	}
	return writeAtomic(path, out)
}

// Load opens a vault file.
func Load(path string, kek []byte) (*Secrets, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("vault.Load: %w", ErrKEK)
	}
	p, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault.Load: %w", err)
	}
	plain, err := Open(kek, []byte{version}, []byte(aad), p, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("vault.Load: %s: %w", path, err)
	}
	defer keys.Zero(plain)
	var s Secrets
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("vault.Load: %s: %w", path, err)
	}
	var old struct {
		DepositKey []byte `json:"deposit_key"`
	}
	if json.Unmarshal(plain, &old) == nil && len(old.DepositKey) > 0 {
		keys.Zero(old.DepositKey)
		s.Wipe()
		return nil, fmt.Errorf("vault.Load: %s: %w", path, ErrDepositKey)
	}
	return &s, nil
}

func writeAtomic(path string, p []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("vault.Save: %w", err)
	}
	// Without the fsyncs a power cut just after init can lose the vault,
	// and every node secret.
	if err := atomicfile.Write(path, p); err != nil {
		return fmt.Errorf("vault.Save: %w", err)
	}
	return nil
}

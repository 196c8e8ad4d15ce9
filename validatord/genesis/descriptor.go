package genesis

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"unicode"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/vault"
)

// MaxDescriptorSize bounds a descriptor file: its fields are a moniker,
// two addresses and seven keys, well under 4 KiB.
const MaxDescriptorSize = 4096

// descriptorDomain separates the descriptor signature from every other
// signature made with the node's signing key.
const descriptorDomain = "copystation node descriptor v1\x00"

// Descriptor is a node's public description, everything the other
// operators need to put it in a genesis.
type Descriptor struct {
	Moniker      string   `json:"moniker"`
	ValidatorKey hexBytes `json:"validator_key"` // CometBFT ed25519 public key, 32 bytes
	NodeID       string   `json:"node_id"`       // CometBFT p2p ID, 40 hex digits
	P2P          string   `json:"p2p"`           // host:port of CometBFT's peer listener
	Gateway      string   `json:"gateway"`       // host:port of the station gateway
	NoiseKey     hexBytes `json:"noise_key"`     // gateway's X25519 static public key, 32 bytes
	SignerKey    hexBytes `json:"signer_key"`    // node signing key, SEC1 uncompressed P-256, 65 bytes
	CustodyKey   hexBytes `json:"custody_key"`   // X25519 public key issuers seal shares to, 32 bytes
	DKGKey       hexBytes `json:"dkg_key"`       // BLS12-381 G2 point, 96 bytes compressed
}

// SignedDescriptor is the descriptor file: the descriptor and the node
// signing key's ECDSA signature (ASN.1) over SHA-256(descriptorDomain ‖
// compact JSON of the descriptor, fields in the order above).
type SignedDescriptor struct {
	Descriptor Descriptor `json:"descriptor"`
	Signature  hexBytes   `json:"signature"`
}

// signedBytes is what the signature covers. encoding/json writes a
// struct's fields in declaration order and hex is canonical, so the bytes
// depend on the values only, not on how the file was formatted.
func (d *Descriptor) signedBytes() ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return append([]byte(descriptorDomain), b...), nil
}

// Describe makes the signed descriptor of the node in home.
func Describe(home string, kek []byte) (*SignedDescriptor, error) {
	const op = "genesis.Describe"
	nc, err := chain.LoadNodeConfig(home)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s, err := vault.Load(filepath.Join(home, chain.FileVault), kek)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer s.Wipe()
	d, sk, err := describeSecrets(nc, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sd, err := sign(d, sk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return sd, nil
}

func sign(d *Descriptor, sk *ecdsa.PrivateKey) (*SignedDescriptor, error) {
	msg, err := d.signedBytes()
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, sk, h[:])
	if err != nil {
		return nil, err
	}
	return &SignedDescriptor{Descriptor: *d, Signature: sig}, nil
}

// describeSecrets derives the public descriptor from a vault's secrets.
func describeSecrets(nc *chain.NodeConfig, s *vault.Secrets) (*Descriptor, *ecdsa.PrivateKey, error) {
	if s.CheckCometKeys() != nil {
		return nil, nil, fmt.Errorf("%w: the vault lacks the CometBFT keys", ErrNotInCeremony)
	}
	gw, err := ecdh.X25519().NewPrivateKey(s.GatewayKey)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway key: %w", err)
	}
	ck, err := ecdh.X25519().NewPrivateKey(s.CustodyKey)
	if err != nil {
		return nil, nil, fmt.Errorf("custody key (a home from before the custody keys: run init again): %w", err)
	}
	sk, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), s.SignerKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key: %w", err)
	}
	dk, err := custody.UnmarshalDKGKey(s.DKGKey)
	if err != nil {
		return nil, nil, fmt.Errorf("DKG key: %w", err)
	}
	defer dk.Wipe()
	pub, err := sk.PublicKey.Bytes()
	if err != nil {
		return nil, nil, err
	}
	d := &Descriptor{
		Moniker:      nc.Moniker,
		ValidatorKey: ed25519.PrivKey(s.ConsensusKey).PubKey().Bytes(),
		NodeID:       string(p2p.PubKeyToID(ed25519.PrivKey(s.NodeKey).PubKey())),
		P2P:          nc.P2PListen,
		Gateway:      nc.GatewayListen,
		NoiseKey:     gw.PublicKey().Bytes(),
		SignerKey:    pub,
		CustodyKey:   ck.PublicKey().Bytes(),
		DKGKey:       dk.Public(),
	}
	return d, sk, nil
}

// DecodeDescriptor parses a descriptor file (at most MaxDescriptorSize
// bytes, no unknown fields), checks every field, and verifies the
// signature under the descriptor's own signing key. Any failure is
// ErrDescriptor.
func DecodeDescriptor(b []byte) (*SignedDescriptor, error) {
	const op = "genesis.DecodeDescriptor"
	if len(b) > MaxDescriptorSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", op, ErrDescriptor, len(b), MaxDescriptorSize)
	}
	var sd SignedDescriptor
	if err := strictJSON(b, &sd); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrDescriptor, err)
	}
	if err := sd.Verify(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &sd, nil
}

// Verify checks the descriptor's fields and its signature.
func (sd *SignedDescriptor) Verify() error {
	d := &sd.Descriptor
	if err := d.check(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDescriptor, d.Moniker, err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), d.SignerKey)
	if err != nil {
		return fmt.Errorf("%w: %s: signing key: %v", ErrDescriptor, d.Moniker, err)
	}
	msg, err := d.signedBytes()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDescriptor, err)
	}
	h := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, h[:], sd.Signature) {
		return fmt.Errorf("%w: %s: signature does not verify under the descriptor's signing key (edited or corrupted; ask its operator for a fresh one)", ErrDescriptor, d.Moniker)
	}
	return nil
}

func (d *Descriptor) check() error {
	if d.Moniker == "" || len(d.Moniker) > 64 {
		return fmt.Errorf("moniker of %d bytes, want 1 to 64", len(d.Moniker))
	}
	for _, r := range d.Moniker {
		if !unicode.IsPrint(r) || r > unicode.MaxASCII {
			return fmt.Errorf("moniker %q: printable ASCII only", d.Moniker)
		}
	}
	if id, err := hex.DecodeString(d.NodeID); err != nil || len(id) != 20 || hex.EncodeToString(id) != d.NodeID {
		return fmt.Errorf("node ID %q: want 40 lower-case hex digits", d.NodeID)
	}
	for what, a := range map[string]string{"p2p": d.P2P, "gateway": d.Gateway} {
		if _, _, err := net.SplitHostPort(a); err != nil || len(a) > 255 {
			return fmt.Errorf("%s address %q: want host:port", what, a)
		}
	}
	for _, k := range []struct {
		what string
		b    []byte
		n    int
	}{{"validator key", d.ValidatorKey, ed25519.PubKeySize}, {"noise key", d.NoiseKey, 32}, {"custody key", d.CustodyKey, 32}, {"signing key", d.SignerKey, 65}} {
		if len(k.b) != k.n {
			return fmt.Errorf("%s of %d bytes, want %d", k.what, len(k.b), k.n)
		}
	}
	if _, err := ecdh.X25519().NewPublicKey(d.NoiseKey); err != nil {
		return fmt.Errorf("noise key: %v", err)
	}
	if _, err := ecdh.X25519().NewPublicKey(d.CustodyKey); err != nil {
		return fmt.Errorf("custody key: %v", err)
	}
	if _, err := custody.ParseDKGPublic(d.DKGKey); err != nil {
		return fmt.Errorf("DKG key: %v", err)
	}
	return nil
}

// decodeFile parses a session file (the ceremony's, a resharing's) of at
// most max bytes into v with strictJSON and checks it whole; a file out of
// bounds or not parsing is fileErr, check's errors are its own.
func decodeFile(op string, b []byte, max int, fileErr error, v interface{ check() error }) error {
	if len(b) > max {
		return fmt.Errorf("%s: %w: %d bytes, limit %d", op, fileErr, len(b), max)
	}
	if err := strictJSON(b, v); err != nil {
		return fmt.Errorf("%s: %w: %v", op, fileErr, err)
	}
	if err := v.check(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// encodeFile writes a session file: indented JSON and a final newline.
func encodeFile(op string, v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return append(b, '\n'), nil
}

// strictJSON decodes exactly one JSON value with no unknown fields.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

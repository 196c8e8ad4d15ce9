package vault

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"os"

	"copystation/keys"
)

// Key files hold one secret (an operator's, issuer's or owner's signing
// key, a title's package key) sealed under the KEK like the vault, with a
// label in the associated data so one kind never opens as another.

// Labels of sealed files.
const (
	LabelSigningKey = "signing-key"
	LabelPackageKey = "package-key"
	// LabelDeviceKeys seals a player's device keys
	// (playertree.DeviceKeys encoding); LabelMakerKey a player maker's
	// X25519 key the nodes seal partial extractions to.
	LabelDeviceKeys = "device-keys"
	LabelMakerKey   = "player-maker-key"
)

// SealFile writes secret sealed under kek to path, atomically, mode 0600.
func SealFile(path string, kek []byte, label string, secret []byte, rnd io.Reader) error {
	out, err := Seal(kek, []byte{version}, []byte(aad+" "+label), secret, rnd)
	if err != nil {
		return fmt.Errorf("vault.SealFile: %w", err)
	}
	return writeAtomic(path, out)
}

// OpenFile reads a file SealFile wrote; the caller wipes the secret.
func OpenFile(path string, kek []byte, label string) ([]byte, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("vault.OpenFile: %w", ErrKEK)
	}
	p, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault.OpenFile: %w", err)
	}
	s, err := Open(kek, []byte{version}, []byte(aad+" "+label), p, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("vault.OpenFile: %s: %w", path, err)
	}
	return s, nil
}

// NewSigningKey makes a P-256 signing key and seals it to path.
func NewSigningKey(path string, kek []byte, rnd io.Reader) (*ecdsa.PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return nil, fmt.Errorf("vault.NewSigningKey: %w", err)
	}
	b, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("vault.NewSigningKey: %w", err)
	}
	defer keys.Zero(b)
	return k, SealFile(path, kek, LabelSigningKey, b, rnd)
}

// LoadSigningKey opens a signing key file.
func LoadSigningKey(path string, kek []byte) (*ecdsa.PrivateKey, error) {
	b, err := OpenFile(path, kek, LabelSigningKey)
	if err != nil {
		return nil, err
	}
	defer keys.Zero(b)
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b)
	if err != nil {
		return nil, fmt.Errorf("vault.LoadSigningKey: %s: %w", path, err)
	}
	return k, nil
}

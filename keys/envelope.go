package keys

import (
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"
)

// Layout of a sealed envelope: one version byte, the HPKE encapsulated key
// (an uncompressed P-256 point), then the AES-256-GCM ciphertext and tag.
const (
	envelopeVersion = 1
	encLen          = 65
	tagLen          = 16
	// MaxSealedLen is the largest envelope Open accepts.
	MaxSealedLen = 1 + encLen + MaxEncodedLen + tagLen
)

// Errors of the envelope.
var (
	// ErrKey is returned for a key that isn't a P-256 key.
	ErrKey = errors.New("keys: envelope key is not ECDH P-256")
	// ErrMalformed is returned for bytes that can't be an envelope.
	ErrMalformed = errors.New("keys: malformed envelope")
	// ErrOpen is returned when an envelope does not open: sealed to another
	// key, for another Info, or altered on the way.
	ErrOpen = errors.New("keys: envelope does not open")
)

// The one suite of this project (RFC 9180): DHKEM(P-256, HKDF-SHA256),
// HKDF-SHA256, AES-256-GCM.
func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.AES256GCM() }

// Seal encrypts k to the station's key-agreement public key, bound to info.
// The ephemeral key comes from crypto/rand inside crypto/hpke (the standard
// library takes no reader). The plaintext buffer is wiped before returning.
func Seal(pub *ecdh.PublicKey, info Info, k *CopyKeys) ([]byte, error) {
	if pub == nil || pub.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.Seal: %w", ErrKey)
	}
	ib, err := info.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("keys.Seal: %w", err)
	}
	pt, err := k.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("keys.Seal: %w", err)
	}
	defer Zero(pt)
	hpub, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys.Seal: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	ct, err := hpke.Seal(hpub, kdf, aead, ib, pt)
	if err != nil {
		return nil, fmt.Errorf("keys.Seal: hpke: %w", err)
	}
	return append([]byte{envelopeVersion}, ct...), nil
}

// Open decrypts an envelope with the station's key-agreement key, which may
// live in a TPM (any ecdh.KeyExchanger on P-256: one ECDH per call). The
// caller wipes the returned keys with CopyKeys.Wipe when done.
func Open(priv ecdh.KeyExchanger, info Info, sealed []byte) (*CopyKeys, error) {
	if priv == nil || priv.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.Open: %w", ErrKey)
	}
	switch {
	case len(sealed) < 1+encLen+tagLen || len(sealed) > MaxSealedLen:
		return nil, fmt.Errorf("keys.Open: %w: %d bytes, want %d to %d", ErrMalformed, len(sealed), 1+encLen+tagLen, MaxSealedLen)
	case sealed[0] != envelopeVersion:
		return nil, fmt.Errorf("keys.Open: %w: version %d, want %d", ErrMalformed, sealed[0], envelopeVersion)
	}
	ib, err := info.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("keys.Open: %w", err)
	}
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys.Open: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	pt, err := hpke.Open(hpriv, kdf, aead, ib, sealed[1:])
	if err != nil {
		// Keep the cause: a failing TPM is not the same as a wrong sealing.
		return nil, fmt.Errorf("keys.Open: %w: %w", ErrOpen, err)
	}
	defer Zero(pt)
	k, err := UnmarshalCopyKeys(pt)
	if err != nil {
		return nil, fmt.Errorf("keys.Open: %w", err)
	}
	return k, nil
}

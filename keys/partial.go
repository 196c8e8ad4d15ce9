package keys

import (
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"
)

// partialLabel names the round-1 envelope: a node's partial signature on a
// copy label (docs/protocol.md, "Release rounds"). Its own label keeps a
// partial's envelope from ever opening as copy keys, and the reverse.
const partialLabel = "copystation partial envelope"

// MaxPartialLen bounds a sealed partial's plaintext: u16 node index and a
// 48-byte compressed G1 point (custody.PartialLen), with room to grow.
const MaxPartialLen = 256

// SealPartial seals a node's encoded partial signature (custody.Partial) to
// the station's key-agreement key, bound to info as Seal binds copy keys.
func SealPartial(pub *ecdh.PublicKey, info Info, partial []byte) ([]byte, error) {
	if pub == nil || pub.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.SealPartial: %w", ErrKey)
	}
	if len(partial) == 0 || len(partial) > MaxPartialLen {
		return nil, fmt.Errorf("keys.SealPartial: %w: partial of %d bytes, want 1 to %d", ErrEncoding, len(partial), MaxPartialLen)
	}
	ib, err := info.marshal(partialLabel)
	if err != nil {
		return nil, fmt.Errorf("keys.SealPartial: %w", err)
	}
	hpub, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys.SealPartial: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	ct, err := hpke.Seal(hpub, kdf, aead, ib, partial)
	if err != nil {
		return nil, fmt.Errorf("keys.SealPartial: hpke: %w", err)
	}
	return append([]byte{envelopeVersion}, ct...), nil
}

// OpenPartial opens a SealPartial envelope with the station's key-agreement
// key; the caller decodes the partial (custody.UnmarshalPartial) and
// verifies it before use.
func OpenPartial(priv ecdh.KeyExchanger, info Info, sealed []byte) ([]byte, error) {
	if priv == nil || priv.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.OpenPartial: %w", ErrKey)
	}
	switch {
	case len(sealed) < 1+encLen+tagLen || len(sealed) > 1+encLen+MaxPartialLen+tagLen:
		return nil, fmt.Errorf("keys.OpenPartial: %w: %d bytes, want %d to %d", ErrMalformed, len(sealed), 1+encLen+tagLen, 1+encLen+MaxPartialLen+tagLen)
	case sealed[0] != envelopeVersion:
		return nil, fmt.Errorf("keys.OpenPartial: %w: version %d, want %d", ErrMalformed, sealed[0], envelopeVersion)
	}
	ib, err := info.marshal(partialLabel)
	if err != nil {
		return nil, fmt.Errorf("keys.OpenPartial: %w", err)
	}
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys.OpenPartial: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	pt, err := hpke.Open(hpriv, kdf, aead, ib, sealed[1:])
	if err != nil {
		return nil, fmt.Errorf("keys.OpenPartial: %w: %w", ErrOpen, err)
	}
	return pt, nil
}

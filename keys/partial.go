package keys

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxRevoked bounds the revoked players a round-1 envelope lists, as many
// as a disc key block takes.
const MaxRevoked = 2048

// ErrEncoding is returned for a round-1 plaintext that can't be sealed: a
// partial or a revoked list out of bounds.
var ErrEncoding = errors.New("keys: invalid partial envelope plaintext")

// partialLabel names the round-1 envelope: a node's partial signature on a
// copy label (docs/protocol.md, "Release rounds"). Its own label keeps a
// partial's envelope from ever opening as a release, and the reverse.
const partialLabel = "copystation partial envelope"

// MaxPartialLen bounds the encoded partial in a round-1 envelope: u16 node
// index and a 48-byte compressed G1 point (custody.PartialLen), with room
// to grow.
const MaxPartialLen = 256

// maxPartialBody bounds a round-1 envelope's plaintext: the partial and the
// revoked players, each counted.
const maxPartialBody = 2 + MaxPartialLen + 2 + 4*MaxRevoked

// SealPartial seals a node's encoded partial signature (custody.Partial) and
// the player-tree leaves revoked at the spend's height (sorted, distinct)
// to the station's key-agreement key, bound to info (job, blank,
// connection) under its own label. Plaintext: u16 length ‖ partial ‖ u16 count ‖ u32 leaf each.
func SealPartial(pub *ecdh.PublicKey, info Info, partial []byte, revoked []uint32) ([]byte, error) {
	if pub == nil || pub.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.SealPartial: %w", ErrKey)
	}
	if len(partial) == 0 || len(partial) > MaxPartialLen {
		return nil, fmt.Errorf("keys.SealPartial: %w: partial of %d bytes, want 1 to %d", ErrEncoding, len(partial), MaxPartialLen)
	}
	if len(revoked) > MaxRevoked || !sortedDistinct(revoked) {
		return nil, fmt.Errorf("keys.SealPartial: %w: %d revoked players, want at most %d, sorted and distinct", ErrEncoding, len(revoked), MaxRevoked)
	}
	body := binary.BigEndian.AppendUint16(make([]byte, 0, 4+len(partial)+4*len(revoked)), uint16(len(partial)))
	body = append(body, partial...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(revoked)))
	for _, l := range revoked {
		body = binary.BigEndian.AppendUint32(body, l)
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
	ct, err := hpke.Seal(hpub, kdf, aead, ib, body)
	if err != nil {
		return nil, fmt.Errorf("keys.SealPartial: hpke: %w", err)
	}
	return append([]byte{envelopeVersion}, ct...), nil
}

// OpenPartial opens a SealPartial envelope with the station's key-agreement
// key and returns the encoded partial and the revoked leaves; the caller
// decodes the partial (custody.UnmarshalPartial) and verifies it before use.
func OpenPartial(priv ecdh.KeyExchanger, info Info, sealed []byte) ([]byte, []uint32, error) {
	if priv == nil || priv.Curve() != ecdh.P256() {
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w", ErrKey)
	}
	switch {
	case len(sealed) < 1+encLen+tagLen || len(sealed) > 1+encLen+maxPartialBody+tagLen:
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w: %d bytes, want %d to %d", ErrMalformed, len(sealed), 1+encLen+tagLen, 1+encLen+maxPartialBody+tagLen)
	case sealed[0] != envelopeVersion:
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w: version %d, want %d", ErrMalformed, sealed[0], envelopeVersion)
	}
	ib, err := info.marshal(partialLabel)
	if err != nil {
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w", err)
	}
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	pt, err := hpke.Open(hpriv, kdf, aead, ib, sealed[1:])
	if err != nil {
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w: %w", ErrOpen, err)
	}
	partial, revoked, err := parsePartialBody(pt)
	if err != nil {
		return nil, nil, fmt.Errorf("keys.OpenPartial: %w", err)
	}
	return partial, revoked, nil
}

func parsePartialBody(b []byte) ([]byte, []uint32, error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("%w: %d-byte body", ErrMalformed, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 || n > MaxPartialLen || len(b) < 2+n+2 {
		return nil, nil, fmt.Errorf("%w: partial of %d bytes in a %d-byte body", ErrMalformed, n, len(b))
	}
	partial, rest := b[2:2+n], b[2+n:]
	m := int(binary.BigEndian.Uint16(rest))
	if m > MaxRevoked || len(rest) != 2+4*m {
		return nil, nil, fmt.Errorf("%w: %d revoked players in %d bytes (at most %d)", ErrMalformed, m, len(rest)-2, MaxRevoked)
	}
	revoked := make([]uint32, m)
	for i := range revoked {
		revoked[i] = binary.BigEndian.Uint32(rest[2+4*i:])
	}
	if !sortedDistinct(revoked) {
		return nil, nil, fmt.Errorf("%w: revoked players not sorted and distinct", ErrMalformed)
	}
	return partial, revoked, nil
}

func sortedDistinct(l []uint32) bool {
	for i := 1; i < len(l); i++ {
		if l[i] <= l[i-1] {
			return false
		}
	}
	return true
}

package custody

import (
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"
)

// A title partial is node From's partial signature on a title's tracing
// label (TracingLabel), sealed to custody node To's custody key. The nodes
// need σ_title to derive a traced title's Tardos codewords, and the
// station, which relays the partials between nodes in the release rounds,
// must not learn it (docs/tracing.md, "Opening").

// TitlePartialSealedLen is the size of a sealed title partial: HPKE's
// encapsulated X25519 key (32), the encoded Partial, the AES-GCM tag (16).
const TitlePartialSealedLen = 32 + PartialLen + 16

// titlePartialInfo is the HPKE info: "copystation title partial v1" ‖
// u16-prefixed chain ID ‖ u16-prefixed title ID ‖ u16(from) ‖ u16(to), so a
// partial opens only for the title, sender and recipient it was sealed for.
func titlePartialInfo(chainID, titleID string, from, to int) []byte {
	b := []byte("copystation title partial v1")
	b = appendField(b, []byte(chainID))
	b = appendField(b, []byte(titleID))
	return appendU16(appendU16(b, from), to)
}

// SealTitlePartial seals node p.Node's partial on titleID's tracing label
// to custody node to's X25519 custody key (genesis), with HPKE
// (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM).
func SealTitlePartial(pub *ecdh.PublicKey, chainID, titleID string, to int, p Partial) ([]byte, error) {
	const op = "custody.SealTitlePartial"
	if pub == nil || pub.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("%s: %w: custody key of node %d is not X25519", op, ErrBadPartial, to)
	}
	if to < 0 || to >= MaxNodes || p.Node < 0 || p.Node >= MaxNodes {
		return nil, fmt.Errorf("%s: %w: node %d to node %d", op, ErrBadPartial, p.Node, to)
	}
	hpub, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	pt, _ := p.MarshalBinary()
	return hpke.Seal(hpub, sharesKDF, sharesAEAD, titlePartialInfo(chainID, titleID, p.Node, to), pt)
}

// OpenTitlePartial opens, with custody node to's key, node from's sealed
// partial on titleID's tracing label. It does not verify the partial:
// VerifyPartial (or Combine) does. An envelope that does not open, or names
// another sender, wraps ErrBadPartial.
func OpenTitlePartial(priv ecdh.KeyExchanger, chainID, titleID string, from, to int, sealed []byte) (Partial, error) {
	const op = "custody.OpenTitlePartial"
	if len(sealed) != TitlePartialSealedLen {
		return Partial{}, fmt.Errorf("%s: %w: node %d's sealed title partial is %d bytes, want %d", op, ErrBadPartial, from, len(sealed), TitlePartialSealedLen)
	}
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return Partial{}, fmt.Errorf("%s: %w: custody key: %v", op, ErrBadPartial, err)
	}
	pt, err := hpke.Open(hpriv, sharesKDF, sharesAEAD, titlePartialInfo(chainID, titleID, from, to), sealed)
	if err != nil {
		return Partial{}, fmt.Errorf("%s: %w: node %d's title partial does not open for node %d: %v", op, ErrBadPartial, from, to, err)
	}
	p, err := UnmarshalPartial(pt)
	if err != nil || p.Node != from {
		return Partial{}, fmt.Errorf("%s: %w: node %d's title partial is malformed or names node %d", op, ErrBadPartial, from, p.Node)
	}
	return p, nil
}

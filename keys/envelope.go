package keys

import (
	"crypto/hpke"
	"errors"
)

// Layout of every envelope of this package (SealPartial, SealRelease): one
// version byte, the HPKE encapsulated key (an uncompressed P-256 point),
// then the AES-256-GCM ciphertext and tag.
const (
	envelopeVersion = 1
	encLen          = 65
	tagLen          = 16
)

// Errors of the envelopes.
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

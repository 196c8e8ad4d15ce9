package titlepkg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// KeySize is the package key's length (AES-256).
const KeySize = 32

// HKDF info labels; each derived key has one purpose.
const (
	chunkKeyLabel = "copystation title package v1 chunk key"
	macKeyLabel   = "copystation title package v1 manifest mac key"
)

// sealer holds the keys derived for one package.
type sealer struct {
	aead   cipher.AEAD
	macKey []byte
	aad    [sha256.Size]byte // manifest header hash
	count  uint64            // chunk count, for the last-chunk flag
}

// newSealer derives the chunk and MAC keys from the package key and the
// package's salt with HKDF-SHA256 (RFC 5869). A fresh salt per package makes
// the chunk key unique per package even when a title is packaged twice under
// the same package key, so the counter nonces never repeat under one key.
func newSealer(key []byte, salt []byte, count uint64) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: package key is %d bytes, want %d", ErrSpec, len(key), KeySize)
	}
	ck, err := hkdf.Key(sha256.New, key, salt, chunkKeyLabel, KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(ck)
	mk, err := hkdf.Key(sha256.New, key, salt, macKeyLabel, sha256.Size)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(ck)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, macKey: mk, count: count}, nil
}

// nonce is the STREAM construction's nonce (Hoang, Reyhanitabar, Rogaway,
// Vizár 2015): the 64-bit chunk index, three zero bytes, and a flag byte
// that is 1 only on the last chunk, so a truncated stream never ends on a
// chunk that authenticates as last.
func (s *sealer) nonce(i uint64) []byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[:], i)
	if i == s.count-1 {
		n[11] = 1
	}
	return n[:]
}

// mac is HMAC-SHA256 over the manifest bytes before the MAC field.
func (s *sealer) mac(enc []byte) []byte {
	h := hmac.New(sha256.New, s.macKey)
	h.Write(enc[:len(enc)-sha256.Size])
	return h.Sum(nil)
}

// wipe clears the MAC key; the AEAD's schedule is not reachable to clear.
func (s *sealer) wipe() { clear(s.macKey) }

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

// KeySize is the length of every package key (AES-256).
const KeySize = 32

// HKDF info labels; each derived key has one purpose.
const (
	chunkKeyLabel = "copystation title package v2 chunk key"
	macKeyLabel   = "copystation title package v2 manifest mac key"
)

// sealer holds the keys derived for one package from the keys the caller
// holds: the MAC key (from the base key) and a chunk AEAD per region.
type sealer struct {
	regions []cipher.AEAD // by Region; nil where the key is not held
	macKey  []byte
	aad     [sha256.Size]byte // manifest header hash
	count   uint64            // chunk count, for the last-chunk flag
}

// newSealer derives, with HKDF-SHA256 (RFC 5869) and the package's salt,
// the MAC key from the base key and a chunk key from each region key held.
// A fresh salt per package makes the chunk keys unique per package even
// when a title is packaged twice under the same keys, so the counter
// nonces never repeat under one key.
func newSealer(k *Keys, m *Manifest) (*sealer, error) {
	if k == nil || len(k.Base) != KeySize {
		return nil, fmt.Errorf("%w: the base key is missing or not %d bytes", ErrSpec, KeySize)
	}
	if len(k.Variants) != 0 && len(k.Variants) != len(m.Segments) {
		return nil, fmt.Errorf("%w: variant keys for %d segments, the package has %d", ErrSpec, len(k.Variants), len(m.Segments))
	}
	mk, err := hkdf.Key(sha256.New, k.Base, m.Salt[:], macKeyLabel, sha256.Size)
	if err != nil {
		return nil, err
	}
	s := &sealer{regions: make([]cipher.AEAD, 1+2*len(m.Segments)), macKey: mk, count: m.ChunkCount}
	for r := range s.regions {
		key := k.regionKey(Region(r))
		if key == nil {
			continue
		}
		if s.regions[r], err = chunkAEAD(key, m.Salt[:]); err != nil {
			s.wipe()
			return nil, fmt.Errorf("%w: region %d: %v", ErrSpec, r, err)
		}
	}
	return s, nil
}

func chunkAEAD(key, salt []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key of %d bytes, want %d", len(key), KeySize)
	}
	ck, err := hkdf.Key(sha256.New, key, salt, chunkKeyLabel, KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(ck)
	block, err := aes.NewCipher(ck)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// nonce is the STREAM construction's nonce (Hoang, Reyhanitabar, Rogaway,
// Vizár 2015): the 64-bit chunk index, three zero bytes, and a flag byte
// that is 1 only on the last chunk, so a truncated stream never ends on a
// chunk that authenticates as last. Indices run over the whole stream, so
// no two chunks share a nonce even under one key.
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

// wipe clears the MAC key; the AEADs' schedules are not reachable to clear.
func (s *sealer) wipe() { clear(s.macKey) }

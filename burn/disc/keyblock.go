package disc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Key block constants.
const (
	// KeySize is the size of the player root key and of the disc key.
	KeySize = 32
	// KeyBlockVersion is the first byte of a version-1 key block.
	KeyBlockVersion = 1
	// KeyBlockSize is the length of a version-1 key block: version, the
	// wrapped disc key, the GCM tag.
	KeyBlockSize  = 1 + KeySize + 16
	keyBlockLabel = "copystation disc key block v1"
	maxMediaID    = 64
	maxCopyID     = 256
)

var (
	// ErrKeyBlock: the key block does not open: it belongs to another
	// disc (media ID), another copy, or another player root key, or it was
	// altered.
	ErrKeyBlock = errors.New("disc: disc key block does not open")
	// ErrKeyInput: a key, media ID or copy ID has an unusable length.
	ErrKeyInput = errors.New("disc: invalid key block input")
)

// playerAEAD derives the single-use wrapping key for one disc and copy:
// HKDF-SHA256 with the player root key as input keying material, the media
// ID as salt and the label and copy ID as info.
func playerAEAD(rootKey, mediaID []byte, copyID string) (cipher.AEAD, error) {
	switch {
	case len(rootKey) != KeySize:
		return nil, fmt.Errorf("%w: player root key is %d bytes, want %d", ErrKeyInput, len(rootKey), KeySize)
	case len(mediaID) == 0 || len(mediaID) > maxMediaID:
		return nil, fmt.Errorf("%w: media ID is %d bytes, want 1 to %d", ErrKeyInput, len(mediaID), maxMediaID)
	case len(copyID) == 0 || len(copyID) > maxCopyID:
		return nil, fmt.Errorf("%w: copy ID is %d bytes, want 1 to %d", ErrKeyInput, len(copyID), maxCopyID)
	}
	info := append([]byte(keyBlockLabel+"\x00"), copyID...)
	k, err := hkdf.Key(sha256.New, rootKey, mediaID, string(info), KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// WrapKeyBlock wraps the disc key for players: the key block a validation
// node puts in keys.CopyKeys.DiscKeyBlock. The wrapping key is used for this
// (media ID, copy ID) only and the disc key is derived deterministically from
// the same pair, so the all-zero nonce never protects two different
// plaintexts (the same argument as age's file-key stanzas), and every node
// produces the same block for a retry.
func WrapKeyBlock(rootKey, mediaID []byte, copyID string, discKey []byte) ([]byte, error) {
	if len(discKey) != KeySize {
		return nil, fmt.Errorf("disc.WrapKeyBlock: %w: disc key is %d bytes, want %d", ErrKeyInput, len(discKey), KeySize)
	}
	aead, err := playerAEAD(rootKey, mediaID, copyID)
	if err != nil {
		return nil, fmt.Errorf("disc.WrapKeyBlock: %w", err)
	}
	out := make([]byte, 1, KeyBlockSize)
	out[0] = KeyBlockVersion
	var nonce [12]byte
	return aead.Seal(out, nonce[:], discKey, out[:1]), nil
}

// UnwrapKeyBlock opens a key block with the player root key and the media
// ID the drive reports for the disc in it.
func UnwrapKeyBlock(rootKey, mediaID []byte, copyID string, block []byte) ([]byte, error) {
	if len(block) != KeyBlockSize || block[0] != KeyBlockVersion {
		return nil, fmt.Errorf("disc.UnwrapKeyBlock: %w: %d bytes, version %v (want %d bytes, version %d)", ErrKeyBlock, len(block), firstByte(block), KeyBlockSize, KeyBlockVersion)
	}
	aead, err := playerAEAD(rootKey, mediaID, copyID)
	if err != nil {
		return nil, fmt.Errorf("disc.UnwrapKeyBlock: %w", err)
	}
	var nonce [12]byte
	k, err := aead.Open(nil, nonce[:], block[1:], block[:1])
	if err != nil {
		return nil, fmt.Errorf("disc.UnwrapKeyBlock: %w", ErrKeyBlock)
	}
	return k, nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}

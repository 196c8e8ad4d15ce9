package disc

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// Key block constants: the format the validation node's key service
// writes (validatord/keyservice) and players read.
const (
	// KeySize is the size of the player key and of the disc key.
	KeySize = 32
	// KeyBlockVersion is the first byte of a version-1 key block.
	KeyBlockVersion = 1
	// NonceSize is the GCM nonce carried in the block.
	NonceSize = 12
	// KeyBlockSize is the length of a version-1 key block: version, nonce,
	// the wrapped disc key, the GCM tag.
	KeyBlockSize  = 1 + NonceSize + KeySize + 16
	keyBlockLabel = "copystation disc key block v1"
	maxMediaID    = 64
	maxCopyID     = 256
)

var (
	// ErrKeyBlock: the key block does not open: it belongs to another disc
	// (media ID), or another player key, or it was altered.
	ErrKeyBlock = errors.New("disc: disc key block does not open")
	// ErrKeyInput: a key, nonce or media ID has an unusable length.
	ErrKeyInput = errors.New("disc: invalid key block input")
)

func playerAEAD(playerKey, mediaID []byte) (cipher.AEAD, []byte, error) {
	switch {
	case len(playerKey) != KeySize:
		return nil, nil, fmt.Errorf("%w: player key is %d bytes, want %d", ErrKeyInput, len(playerKey), KeySize)
	case len(mediaID) == 0 || len(mediaID) > maxMediaID:
		return nil, nil, fmt.Errorf("%w: media ID is %d bytes, want 1 to %d", ErrKeyInput, len(mediaID), maxMediaID)
	}
	b, err := aes.NewCipher(playerKey)
	if err != nil {
		return nil, nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, nil, err
	}
	return g, append([]byte(keyBlockLabel), mediaID...), nil
}

// WrapKeyBlock wraps the disc key for players:
//
//	0x01 ‖ nonce ‖ AES-256-GCM(player key, nonce, disc key, AAD = label ‖ media ID)
//
// The media ID in the additional data binds the block to one blank. The
// nonce must never repeat under a player key: the validation node derives
// it from its copy secret, the job ID and the media ID with HKDF, so it is
// unique per copy and the same on every node for a retry.
func WrapKeyBlock(playerKey, mediaID, nonce, discKey []byte) ([]byte, error) {
	if len(discKey) != KeySize || len(nonce) != NonceSize {
		return nil, fmt.Errorf("disc.WrapKeyBlock: %w: disc key %d bytes, nonce %d (want %d and %d)", ErrKeyInput, len(discKey), len(nonce), KeySize, NonceSize)
	}
	g, aad, err := playerAEAD(playerKey, mediaID)
	if err != nil {
		return nil, fmt.Errorf("disc.WrapKeyBlock: %w", err)
	}
	out := make([]byte, 0, KeyBlockSize)
	out = append(append(out, KeyBlockVersion), nonce...)
	return g.Seal(out, nonce, discKey, aad), nil
}

// UnwrapKeyBlock opens a key block with the player key and the media ID the
// drive reports for the disc it was read from.
func UnwrapKeyBlock(playerKey, mediaID, block []byte) ([]byte, error) {
	if len(block) != KeyBlockSize || block[0] != KeyBlockVersion {
		return nil, fmt.Errorf("disc.UnwrapKeyBlock: %w: %d bytes, version %v (want %d bytes, version %d)", ErrKeyBlock, len(block), firstByte(block), KeyBlockSize, KeyBlockVersion)
	}
	g, aad, err := playerAEAD(playerKey, mediaID)
	if err != nil {
		return nil, fmt.Errorf("disc.UnwrapKeyBlock: %w", err)
	}
	k, err := g.Open(nil, block[1:1+NonceSize], block[1+NonceSize:], aad)
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

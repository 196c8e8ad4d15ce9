package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
)

// Seal is the one AES-256-GCM file sealing of a node's files: head, a
// fresh 12-byte nonce from rnd (nil: crypto/rand), then the ciphertext and
// tag of plain under key with aad as the associated data. The vault and
// the key files use head = the version byte and aad = their label; a
// backup (chain.Backup) uses head = its magic and version, and aad = head.
// A key that is not 32 bytes is ErrKEK.
func Seal(key, head, aad, plain []byte, rnd io.Reader) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(head)+g.NonceSize(), len(head)+g.NonceSize()+len(plain)+g.Overhead())
	copy(out, head)
	nonce := out[len(head):]
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return nil, fmt.Errorf("drawing a nonce: %w", err)
	}
	return g.Seal(out, nonce, plain, aad), nil
}

// Open undoes Seal: sealed must be at most max bytes, start with head and
// open under key with aad, else ErrSealed; a key that is not 32 bytes is
// ErrKEK. The caller wipes the plaintext.
func Open(key, head, aad, sealed []byte, max int) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	n := len(head) + g.NonceSize()
	if len(sealed) > max || len(sealed) < n+g.Overhead() || string(sealed[:len(head)]) != string(head) {
		return nil, ErrSealed
	}
	plain, err := g.Open(nil, sealed[len(head):n], sealed[n:], aad)
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, ErrKEK
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

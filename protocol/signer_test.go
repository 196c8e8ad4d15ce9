package protocol

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
)

func TestSignerPublicKey(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	want, _ := p256.PublicKey.Bytes()
	got, err := SignerPublicKey(p256)
	if err != nil || string(got) != string(want) {
		t.Fatalf("SignerPublicKey(P-256) = %x, %v, want %x, nil", got, err, want)
	}
	for _, tc := range []struct {
		name string
		key  crypto.Signer
	}{{"P-384", p384}, {"Ed25519", ed}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SignerPublicKey(tc.key); !errors.Is(err, ErrBadPublicKey) {
				t.Fatalf("SignerPublicKey(%s) = %v, want ErrBadPublicKey", tc.name, err)
			}
		})
	}
}

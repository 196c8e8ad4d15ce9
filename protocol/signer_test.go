package protocol

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
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

// TestSignLowSVerifyRefusesHighS checks Sign always returns the low-S form
// (the key here, like a TPM's, signs without normalising) and Verify
// refuses each signature's (r, n-s) twin and any non-DER encoding.
func TestSignLowSVerifyRefusesHighS(t *testing.T) {
	k := exampleKey(t, "station")
	pub := pubBytes(t, k)
	st := &CopyReport{ChainID: "c", JobID: "j", MediaID: []byte{1}, Outcome: OutcomeSpoiled}
	for i := range 32 { // about half of raw ECDSA signatures are high-S
		sig, err := Sign(nil, k, st)
		if err != nil {
			t.Fatalf("Sign() = %v", err)
		}
		if err := Verify(pub, st, sig); err != nil {
			t.Fatalf("Verify(Sign()) #%d = %v, want nil", i, err)
		}
		var v ecdsaSig
		if _, err := asn1.Unmarshal(sig, &v); err != nil {
			t.Fatal(err)
		}
		v.S.Sub(p256N, v.S)
		twin, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(pub, st, twin); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify((r, n-s)) #%d = %v, want ErrBadSignature", i, err)
		}
		long := append(append([]byte{}, sig...), 0) // trailing byte
		if err := Verify(pub, st, long); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify(sig + trailing byte) = %v, want ErrBadSignature", err)
		}
	}
}

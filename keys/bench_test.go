package keys

import (
	"crypto/ecdh"
	"crypto/rand"
	"testing"
)

func BenchmarkSeal(b *testing.B) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Seal(priv.PublicKey(), testInfo(), testKeys()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenSoftware(b *testing.B) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sealed, err := Seal(priv.PublicKey(), testInfo(), testKeys())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		k, err := Open(priv, testInfo(), sealed)
		if err != nil {
			b.Fatal(err)
		}
		k.Wipe()
	}
}

func BenchmarkDeriveDiscKey(b *testing.B) {
	master := make([]byte, 32)
	for b.Loop() {
		if _, err := DeriveDiscKey(master, "job-1", 0, []byte("MEDIA-ID-0123456")); err != nil {
			b.Fatal(err)
		}
	}
}

package keys

import (
	"crypto/ecdh"
	"crypto/rand"
	"testing"
)

// benchRelease is a release body of a 640-segment title
// (custody.ReleaseLen: 62 + 640/8 + 64·640 bytes).
var benchRelease = make([]byte, 62+640/8+64*640)

func BenchmarkSealRelease(b *testing.B) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := SealRelease(priv.PublicKey(), testInfo(), benchRelease); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenReleaseSoftware(b *testing.B) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sealed, err := SealRelease(priv.PublicKey(), testInfo(), benchRelease)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := OpenRelease(priv, testInfo(), sealed); err != nil {
			b.Fatal(err)
		}
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

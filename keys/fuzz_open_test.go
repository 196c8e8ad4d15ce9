package keys

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"testing"
)

// FuzzOpen feeds arbitrary envelopes to Open with a fixed software key: it
// must answer with a typed error, never panic.
func FuzzOpen(f *testing.F) {
	priv, err := ecdh.P256().NewPrivateKey(mustHex(f, katSkRm))
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := Seal(priv.PublicKey(), testInfo(), testKeys())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Open(priv, testInfo(), b)
		if err == nil {
			k.Wipe()
			return
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrOpen) && !errors.Is(err, ErrEncoding) {
			t.Fatalf("Open() = %v, want a typed envelope error", err)
		}
	})
}

// FuzzOpenPartial feeds arbitrary envelopes to OpenPartial: a typed error,
// never a panic; a copy-keys envelope never opens as a partial.
func FuzzOpenPartial(f *testing.F) {
	priv, err := ecdh.P256().NewPrivateKey(mustHex(f, katSkRm))
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := SealPartial(priv.PublicKey(), testInfo(), make([]byte, 50), []uint32{3, 9})
	if err != nil {
		f.Fatal(err)
	}
	keysEnv, err := Seal(priv.PublicKey(), testInfo(), testKeys())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(keysEnv)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, _, err := OpenPartial(priv, testInfo(), b)
		if err == nil {
			if bytes.Equal(b, keysEnv) {
				t.Fatalf("OpenPartial(a copy-keys envelope) = %x, want a refusal", pt)
			}
			return
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrOpen) {
			t.Fatalf("OpenPartial() = %v, want a typed envelope error", err)
		}
	})
}

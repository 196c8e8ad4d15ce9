package keys

import (
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

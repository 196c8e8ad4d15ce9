package tpm

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"copystation/keys"
	"copystation/tpm/tpmtest"

	"github.com/google/go-tpm/tpm2/transport"
)

// benchTPMs runs fn against the in-process simulator and an swtpm process.
func benchTPMs(b *testing.B, fn func(b *testing.B, st *Station)) {
	open := map[string]func(b *testing.B) transport.TPMCloser{
		"simulator": func(b *testing.B) transport.TPMCloser {
			tp, err := OpenSimulator(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return tp
		},
		"swtpm": func(b *testing.B) transport.TPMCloser {
			sw := tpmtest.StartSwtpm(b, tpmtest.Options{})
			tp, err := Open(sw.URI())
			if err != nil {
				b.Fatal(err)
			}
			return tp
		},
	}
	for _, name := range []string{"simulator", "swtpm"} {
		b.Run(name, func(b *testing.B) {
			tp := open[name](b)
			defer tp.Close()
			st, err := LoadOrCreate(tp, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			fn(b, st)
		})
	}
}

func BenchmarkSign(b *testing.B) {
	benchTPMs(b, func(b *testing.B, st *Station) {
		digest := sha256.Sum256([]byte("copy request"))
		for b.Loop() {
			if _, err := st.Signer().Sign(nil, digest[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkECDH(b *testing.B) {
	benchTPMs(b, func(b *testing.B, st *Station) {
		peer, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := st.KeyExchanger().ECDH(peer.PublicKey()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenEnvelope is the station's TPM share of opening one node's
// release of a copy: keys.OpenRelease of a sealed share release (a
// 640-segment title's, custody.ReleaseLen bytes) through the TPM.
func BenchmarkOpenEnvelope(b *testing.B) {
	benchTPMs(b, func(b *testing.B, st *Station) {
		info := keys.Info{JobID: "job", MediaID: []byte("media"), Transcript: make([]byte, 32)}
		sealed, err := keys.SealRelease(st.AgreementPublicKey(), info, bytes.Repeat([]byte{1}, 62+640/8+64*640))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			r, err := keys.OpenRelease(st.KeyExchanger(), info, sealed)
			if err != nil {
				b.Fatal(err)
			}
			keys.Zero(r)
		}
	})
}

package keys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"
)

// TestReleaseEnvelope: a release opens only with the station's key, for the
// Info it was sealed for, and never as a copy-keys envelope.
func TestReleaseEnvelope(t *testing.T) {
	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	info := Info{JobID: "job-1", MediaID: []byte("m1"), Transcript: []byte("hh")}
	body := bytes.Repeat([]byte{7}, 126)
	sealed, err := SealRelease(st.PublicKey(), info, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenRelease(st, info, sealed)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("OpenRelease = %x, %v; want the body", got, err)
	}
	otherInfo := info
	otherInfo.MediaID = []byte("m2")
	for name, try := range map[string]func() error{
		"another key":   func() error { _, err := OpenRelease(other, info, sealed); return err },
		"another blank": func() error { _, err := OpenRelease(st, otherInfo, sealed); return err },
		"as copy keys":  func() error { _, err := Open(st, info, sealed); return err },
		"altered":       func() error { b := bytes.Clone(sealed); b[80] ^= 1; _, err := OpenRelease(st, info, b); return err },
		"truncated":     func() error { _, err := OpenRelease(st, info, sealed[:50]); return err },
		"copy keys as release": func() error {
			ck, err := Seal(st.PublicKey(), info, testKeys())
			if err != nil {
				t.Fatalf("Seal(copy keys) = %v", err)
			}
			_, err = OpenRelease(st, info, ck)
			return err
		},
	} {
		if err := try(); !errors.Is(err, ErrOpen) && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrOpen or ErrMalformed", name, err)
		}
	}
	if _, err := SealRelease(st.PublicKey(), info, make([]byte, MaxReleaseLen+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("SealRelease(over MaxReleaseLen) = %v, want ErrMalformed", err)
	}
}

// FuzzOpenRelease: arbitrary bytes as a sealed release never panic; only a
// sealing by the station's key for this Info opens.
func FuzzOpenRelease(f *testing.F) {
	st, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		f.Fatal(err)
	}
	info := Info{JobID: "job-1", MediaID: []byte("m1")}
	sealed, _ := SealRelease(st.PublicKey(), info, []byte("release body"))
	f.Add(sealed)
	f.Add(sealed[:70])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if pt, err := OpenRelease(st, info, b); err == nil && !bytes.Equal(b, sealed) && len(pt) == 0 {
			t.Errorf("OpenRelease(%x) opened to nothing", b)
		}
	})
}

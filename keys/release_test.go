package keys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"
)

// TestReleaseEnvelope: a release opens only with the station's key, for the
// Info it was sealed for (job, blank and connection), and never as a
// partial's envelope, nor a partial's as a release.
func TestReleaseEnvelope(t *testing.T) {
	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	info := testInfo()
	body := bytes.Repeat([]byte{7}, 126)
	sealed, err := SealRelease(st.PublicKey(), info, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenRelease(st, info, sealed)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("OpenRelease = %x, %v; want the body", got, err)
	}
	partial, err := SealPartial(st.PublicKey(), info, []byte("partial"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name   string
		priv   ecdh.KeyExchanger
		info   func(*Info)
		sealed []byte
		want   error
	}{
		{"another key", other, nil, sealed, ErrOpen},
		{"another job", st, func(i *Info) { i.JobID = "job-2" }, sealed, ErrOpen},
		{"another blank", st, func(i *Info) { i.MediaID = []byte("MEDIA-ID-0123457") }, sealed, ErrOpen},
		{"another connection", st, func(i *Info) { i.Transcript = nil }, sealed, ErrOpen},
		{"altered", st, nil, tampered, ErrOpen},
		{"truncated", st, nil, sealed[:50], ErrMalformed},
		{"bad version", st, nil, append([]byte{9}, sealed[1:]...), ErrMalformed},
		{"empty media", st, func(i *Info) { i.MediaID = nil }, sealed, ErrInfo},
		{"a partial's envelope", st, nil, partial, ErrOpen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := testInfo()
			if c.info != nil {
				c.info(&in)
			}
			if pt, err := OpenRelease(c.priv, in, c.sealed); !errors.Is(err, c.want) {
				t.Errorf("OpenRelease() = %x, %v, want error %v", pt, err, c.want)
			}
		})
	}
	if _, _, err := OpenPartial(st, info, sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("OpenPartial(a release) = %v, want %v", err, ErrOpen)
	}
	if _, err := SealRelease(st.PublicKey(), info, make([]byte, MaxReleaseLen+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("SealRelease(over MaxReleaseLen) = %v, want ErrMalformed", err)
	}
}

// TestSealReleaseRejects: a key off P-256, no key, or an Info that can't
// be encoded is refused before anything is sealed.
func TestSealReleaseRejects(t *testing.T) {
	p384, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		pub  *ecdh.PublicKey
		info Info
		want error
	}{
		{"P-384 key", p384.PublicKey(), testInfo(), ErrKey},
		{"nil key", nil, testInfo(), ErrKey},
		{"no job", p256.PublicKey(), Info{MediaID: []byte{1}}, ErrInfo},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := SealRelease(c.pub, c.info, []byte("body")); !errors.Is(err, c.want) {
				t.Errorf("SealRelease() = %v, want %v", err, c.want)
			}
		})
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

package keys

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	xhkdf "golang.org/x/crypto/hkdf"
)

func TestDeriveDiscKey(t *testing.T) {
	master := bytes.Repeat([]byte{0x42}, 32)
	media := []byte("MEDIA-ID-0123456")
	k1, err := DeriveDiscKey(master, "job-1", 0, media)
	if err != nil {
		t.Fatalf("DeriveDiscKey() = %v", err)
	}
	// Cross-check against an independent HKDF implementation with the
	// documented info layout.
	info := append([]byte{byte(len(deriveLabel))}, deriveLabel...)
	info = append(info, byte(len("disc-key/attempt-0")))
	info = append(info, "disc-key/attempt-0"...)
	info = append(info, 0, 5)
	info = append(info, "job-1"...)
	info = append(info, 0, byte(len(media)))
	info = append(info, media...)
	want := make([]byte, KeySize)
	if _, err := io.ReadFull(xhkdf.New(sha256.New, master, nil, info), want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, want) {
		t.Errorf("DeriveDiscKey() = %x, want %x", k1, want)
	}
	again, _ := DeriveDiscKey(master, "job-1", 0, media)
	if !bytes.Equal(again, k1) {
		t.Errorf("DeriveDiscKey() not deterministic: %x then %x", k1, again)
	}
	differ := []struct {
		name    string
		purpose string
		job     string
		media   []byte
	}{
		{"other media", "disc-key/attempt-0", "job-1", []byte("MEDIA-ID-0123457")},
		{"other job", "disc-key/attempt-0", "job-2", media},
		{"other attempt", "disc-key/attempt-1", "job-1", media},
		{"no attempt", PurposeDiscKey, "job-1", media},
		{"other purpose", ForAttempt(PurposeCodeword, 0), "job-1", media},
		{"shifted boundary", "disc-key/attempt-0", "job-1M", media[1:]},
	}
	for _, c := range differ {
		t.Run(c.name, func(t *testing.T) {
			k, err := DeriveCopySecret(master, c.purpose, c.job, c.media, KeySize)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(k, k1) {
				t.Errorf("DeriveCopySecret(%s) = %x, the same as the disc key", c.name, k)
			}
		})
	}
}

func TestDeriveRejects(t *testing.T) {
	master := make([]byte, 32)
	cases := []struct {
		name    string
		master  []byte
		purpose string
		job     string
		media   []byte
		n       int
	}{
		{"short master", master[:16], PurposeDiscKey, "j", []byte{1}, 32},
		{"no media", master, PurposeDiscKey, "j", nil, 32},
		{"no job", master, PurposeDiscKey, "", []byte{1}, 32},
		{"no purpose", master, "", "j", []byte{1}, 32},
		{"too long", master, PurposeDiscKey, "j", []byte{1}, 255*32 + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := DeriveCopySecret(c.master, c.purpose, c.job, c.media, c.n); !errors.Is(err, ErrDerive) {
				t.Errorf("DeriveCopySecret(%s) = %v, want %v", c.name, err, ErrDerive)
			}
		})
	}
}

package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.bin")
	kek := bytes.Repeat([]byte{7}, 32)
	s := &Secrets{CustodyKey: bytes.Repeat([]byte{0xAB}, 32), DepositKey: []byte("deposit-private")}
	if err := Save(path, kek, s, nil); err != nil {
		t.Fatalf("Save() = %v", err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, s.CustodyKey) || bytes.Contains(raw, s.DepositKey) {
		t.Fatalf("vault file holds a secret in plaintext")
	}
	got, err := Load(path, kek)
	if err != nil || !bytes.Equal(got.CustodyKey, s.CustodyKey) {
		t.Fatalf("Load() = %v, %v, want the secrets back", got, err)
	}
	tests := []struct {
		name string
		kek  []byte
		edit func([]byte) []byte
		want error
	}{
		{"wrong key", bytes.Repeat([]byte{8}, 32), nil, ErrSealed},
		{"short key", []byte{1}, nil, ErrKEK},
		{"flipped bit", kek, func(p []byte) []byte { p[len(p)-1] ^= 1; return p }, ErrSealed},
		{"truncated", kek, func(p []byte) []byte { return p[:10] }, ErrSealed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			b := append([]byte(nil), raw...)
			if tc.edit != nil {
				b = tc.edit(b)
			}
			os.WriteFile(p, b, 0o600)
			if _, err := Load(p, tc.kek); !errors.Is(err, tc.want) {
				t.Errorf("Load(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestSigningKeyFile(t *testing.T) {
	dir := t.TempDir()
	kek := bytes.Repeat([]byte{3}, 32)
	path := filepath.Join(dir, "op.key")
	k, err := NewSigningKey(path, kek, nil)
	if err != nil {
		t.Fatalf("NewSigningKey() = %v", err)
	}
	got, err := LoadSigningKey(path, kek)
	if err != nil || !got.Equal(k) {
		t.Fatalf("LoadSigningKey() = %v, want the same key", err)
	}
	if _, err := OpenFile(path, kek, LabelPackageKey); !errors.Is(err, ErrSealed) {
		t.Errorf("OpenFile(signing key as package key) = %v, want %v", err, ErrSealed)
	}
}

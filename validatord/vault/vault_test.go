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
	s := &Secrets{CustodyKey: bytes.Repeat([]byte{0xAB}, 32), SignerKey: []byte("signer-private")}
	if err := Save(path, kek, s, nil); err != nil {
		t.Fatalf("Save() = %v", err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, s.CustodyKey) || bytes.Contains(raw, s.SignerKey) {
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

// TestVaultWithDepositKeyRefused: a vault sealed by an older node, which
// still holds the network deposit key, is refused with ErrDepositKey rather
// than read without it; the same vault without it loads.
func TestVaultWithDepositKeyRefused(t *testing.T) {
	dir := t.TempDir()
	kek := bytes.Repeat([]byte{5}, 32)
	seal := func(name, plain string) string {
		g, err := aead(kek)
		if err != nil {
			t.Fatal(err)
		}
		nonce := make([]byte, g.NonceSize())
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, g.Seal(append([]byte{version}, nonce...), nonce, []byte(plain), []byte(aad)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := seal("old", `{"consensus_key":null,"node_key":null,"deposit_key":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=","gateway_key":"AQID"}`)
	if s, err := Load(old, kek); !errors.Is(err, ErrDepositKey) || s != nil {
		t.Errorf("Load(vault with a deposit key) = %v, %v; want nil, %v", s, err, ErrDepositKey)
	}
	now := seal("now", `{"consensus_key":null,"node_key":null,"gateway_key":"AQID"}`)
	if s, err := Load(now, kek); err != nil || !bytes.Equal(s.GatewayKey, []byte{1, 2, 3}) {
		t.Errorf("Load(vault without one) = %v, %v; want its gateway key", s, err)
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

// TestEpochSharesWiped: reshared shares are sealed like the rest, and
// WipeBefore(e) zeroes and drops the ceremony share and every share of an
// earlier epoch, keeping epoch e's, through a save and load.
func TestEpochSharesWiped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.bin")
	kek := bytes.Repeat([]byte{7}, 32)
	old, e1, e2 := bytes.Repeat([]byte{1}, 40), bytes.Repeat([]byte{2}, 40), bytes.Repeat([]byte{3}, 40)
	s := &Secrets{CustodyShare: bytes.Clone(old), EpochShares: []EpochShare{{1, bytes.Clone(e1)}, {2, bytes.Clone(e2)}}}
	if err := Save(path, kek, s, nil); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, e1) {
		t.Fatal("vault file holds an epoch share in plaintext")
	}
	got, err := Load(path, kek)
	if err != nil {
		t.Fatal(err)
	}
	held := got.EpochShares[0].Share
	got.WipeBefore(2)
	if err := Save(path, kek, got, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(held, make([]byte, 40)) {
		t.Error("epoch 1's share was dropped but not zeroed")
	}
	got, err = Load(path, kek)
	if err != nil {
		t.Fatal(err)
	}
	if got.CustodyShare != nil || len(got.EpochShares) != 1 || got.EpochShares[0].Epoch != 2 || !bytes.Equal(got.EpochShares[0].Share, e2) {
		t.Fatalf("after WipeBefore(2): ceremony share %x, epoch shares %+v; want none and epoch 2's only", got.CustodyShare, got.EpochShares)
	}
}

// TestFormatsUnchanged: a vault and a key file written by version 1 of
// this package (testdata, KEK 32 bytes of 0x11, nonces of 0x22 and 0x23)
// open, and sealing the same contents with the same nonce writes the same
// bytes: the files' format does not move.
func TestFormatsUnchanged(t *testing.T) {
	kek := bytes.Repeat([]byte{0x11}, 32)
	dir := t.TempDir()
	sec, err := Load(filepath.Join("testdata", "v1.vault"), kek)
	if err != nil {
		t.Fatalf("Load(testdata/v1.vault) = %v", err)
	}
	if !bytes.Equal(sec.SignerKey, bytes.Repeat([]byte{4}, 32)) {
		t.Errorf("v1.vault signer key = %x, want 32 bytes of 04", sec.SignerKey)
	}
	if err := Save(filepath.Join(dir, "vault"), kek, sec, bytes.NewReader(bytes.Repeat([]byte{0x22}, 12))); err != nil {
		t.Fatal(err)
	}
	key, err := OpenFile(filepath.Join("testdata", "v1.key"), kek, LabelSigningKey)
	if err != nil || !bytes.Equal(key, bytes.Repeat([]byte{0x33}, 32)) {
		t.Fatalf("OpenFile(testdata/v1.key) = %x, %v; want 32 bytes of 33", key, err)
	}
	if err := SealFile(filepath.Join(dir, "key"), kek, LabelSigningKey, key, bytes.NewReader(bytes.Repeat([]byte{0x23}, 12))); err != nil {
		t.Fatal(err)
	}
	for _, f := range [][2]string{{"v1.vault", "vault"}, {"v1.key", "key"}} {
		want, _ := os.ReadFile(filepath.Join("testdata", f[0]))
		if got, _ := os.ReadFile(filepath.Join(dir, f[1])); !bytes.Equal(got, want) {
			t.Errorf("sealed again, %s = %x\nwant %x", f[0], got, want)
		}
	}
}

package chain

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"copystation/validatord/vault"
)

// TestBackupFormatUnchanged: a backup written by version 1 of Backup
// (testdata/v1.backup: a one-node test network's home, backup key 32 bytes
// of 0x44, nonce of 0x24) restores, and backing the restored home up again
// with the same key and nonce writes the same bytes: the format does not
// move. A wrong backup key or a damaged file is ErrBackup, a short key
// ErrBackupKey.
func TestBackupFormatUnchanged(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "v1.backup"))
	if err != nil {
		t.Fatal(err)
	}
	backupKey, kek := bytes.Repeat([]byte{0x44}, 32), bytes.Repeat([]byte{0x55}, 32)
	home := filepath.Join(t.TempDir(), "home")
	if err := Restore(home, want, backupKey, kek, nil); err != nil {
		t.Fatalf("Restore(testdata/v1.backup) = %v", err)
	}
	if _, err := vault.Load(filepath.Join(home, FileVault), kek); err != nil {
		t.Fatalf("the restored vault does not open under the new KEK: %v", err)
	}
	got, err := Backup(home, kek, backupKey, bytes.NewReader(bytes.Repeat([]byte{0x24}, 12)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Backup of the restored home differs from testdata/v1.backup (%d bytes, want %d)", len(got), len(want))
	}
	damaged := bytes.Clone(want)
	damaged[len(damaged)-1] ^= 1
	for _, tc := range []struct {
		name        string
		key, sealed []byte
		want        error
	}{
		{"wrong key", bytes.Repeat([]byte{0x45}, 32), want, ErrBackup},
		{"damaged", backupKey, damaged, ErrBackup},
		{"truncated", backupKey, want[:40], ErrBackup},
		{"short key", backupKey[:16], want, ErrBackupKey},
	} {
		if err := Restore(filepath.Join(t.TempDir(), "h"), tc.sealed, tc.key, kek, nil); !errors.Is(err, tc.want) {
			t.Errorf("Restore(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

package validatord

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"copystation/validatord/chain"
	"copystation/validatord/vault"
)

// TestBackupRestoreCommands: 'validatord backup' writes a sealed file that
// 'validatord restore' opens with the backup key onto a fresh home under
// another KEK, with the same node secrets; a wrong backup key is refused.
func TestBackupRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	kek, kek2, bk := filepath.Join(dir, "kek"), filepath.Join(dir, "kek2"), filepath.Join(dir, "backup.key")
	for i, f := range []string{kek, kek2, bk} {
		if err := os.WriteFile(f, []byte(strings.Repeat(string("abc"[i:i+1])+"1", 32)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := &cli{t: t, ctx: context.Background(), home: filepath.Join(dir, "home"), kek: kek}
	if code, _, errs := c.run("init", "--home", c.home, "--kek-file", kek, "--p2p", freeAddr(t), "--rpc", "tcp://"+freeAddr(t), "--gateway", freeAddr(t)); code != ExitOK {
		t.Fatalf("init = %d: %s", code, errs)
	}
	out := filepath.Join(dir, "node.backup")
	if code, _, errs := c.run("backup", "--home", c.home, "--kek-file", kek, "--backup-key-file", bk, "--out", out); code != ExitOK {
		t.Fatalf("backup = %d: %s", code, errs)
	}
	fresh := filepath.Join(dir, "fresh")
	if code, _, errs := c.run("restore", "--home", fresh, "--kek-file", kek2, "--backup-key-file", kek, "--in", out); code != ExitFailed || !strings.Contains(errs, "does not open") {
		t.Fatalf("restore(wrong backup key) = %d, %q; want a failure saying it does not open", code, errs)
	}
	if code, _, errs := c.run("restore", "--home", fresh, "--kek-file", kek2, "--backup-key-file", bk, "--in", out); code != ExitOK {
		t.Fatalf("restore = %d: %s", code, errs)
	}
	k1, _ := readKey32(kek, "kek")
	k2, _ := readKey32(kek2, "kek")
	a, err := vault.Load(filepath.Join(c.home, chain.FileVault), k1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := vault.Load(filepath.Join(fresh, chain.FileVault), k2)
	if err != nil {
		t.Fatalf("the restored vault does not open with the new KEK: %v", err)
	}
	if !bytes.Equal(a.ConsensusKey, b.ConsensusKey) || !bytes.Equal(a.SignerKey, b.SignerKey) || !bytes.Equal(a.CustodyKey, b.CustodyKey) {
		t.Fatal("the restored vault holds other secrets than the node's")
	}
	for _, f := range []string{chain.FileNodeConfig, chain.FileGenesis} {
		x, _ := os.ReadFile(filepath.Join(c.home, f))
		y, _ := os.ReadFile(filepath.Join(fresh, f))
		if !bytes.Equal(x, y) || len(x) == 0 {
			t.Errorf("restored %s differs from the node's", f)
		}
	}
}

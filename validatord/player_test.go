package validatord

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/custody/playertree"
	"copystation/validatord/vault"
)

// TestPlayerCommands drives the player commands against a node started
// with Run: a maker's key, the enrollment, the node's extraction, the
// maker's sealed device keys (checked against the group key the station
// table names), the revocation, and the refusals around them.
func TestPlayerCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	startNode(t, c)

	makerKEK := filepath.Join(dir, "maker.kek")
	os.WriteFile(makerKEK, bytes.Repeat([]byte{0x6D}, 32), 0o600)
	makerFile := filepath.Join(dir, "maker.key")
	var mk struct {
		MakerKey string `json:"maker_key"`
	}
	json.Unmarshal([]byte(c.ok("player", "maker-key", "--kek-file", makerKEK, "--out", makerFile, "--json")), &mk)
	var tree struct {
		Tree     string `json:"tree"`
		Depth    uint8  `json:"depth"`
		GroupKey string `json:"group_key"`
	}
	json.Unmarshal([]byte(c.ok("player", "tree", "--home", c.home, "--json")), &tree)
	if tree.Tree == "" || tree.Depth != playertree.DefaultDepth || len(tree.GroupKey) != 192 {
		t.Fatalf("player tree = %+v, want the default tree and a 96-byte group key", tree)
	}
	if out := c.ok("player", "tree", "--home", c.home); !strings.Contains(out, "[players]") {
		t.Errorf("player tree = %q, want a [players] table", out)
	}

	partials := filepath.Join(dir, "node0.partials")
	if code, _, errs := c.run("player", "extract", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--out", partials); code != ExitFailed || !strings.Contains(errs, "not enrolled") {
		t.Fatalf("player extract before enrollment = %d, %q; want refused, not enrolled", code, errs)
	}
	c.ok("player", "enroll", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--maker", "acme", "--maker-key", mk.MakerKey)
	if code, _, _ := c.run("player", "enroll", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--maker", "acme", "--maker-key", mk.MakerKey); code != ExitFailed {
		t.Errorf("player enroll of an enrolled leaf = %d, want %d", code, ExitFailed)
	}
	c.ok("player", "extract", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--out", partials)
	deviceFile := filepath.Join(dir, "player5.keys")
	if code, _, _ := c.run("player", "keys", "--home", c.home, "--kek-file", c.kek, "--maker-key", makerFile, "--out", deviceFile, "--partials", partials); code != ExitFailed {
		t.Errorf("player keys with the maker key under another KEK = %d, want %d", code, ExitFailed)
	}
	c.ok("player", "keys", "--home", c.home, "--kek-file", makerKEK, "--maker-key", makerFile, "--out", deviceFile, "--partials", partials)
	raw, err := vault.OpenFile(deviceFile, bytes.Repeat([]byte{0x6D}, 32), vault.LabelDeviceKeys)
	if err != nil {
		t.Fatalf("device key file does not open under the maker's KEK: %v", err)
	}
	k, err := playertree.ParseDeviceKeys(raw)
	if err != nil {
		t.Fatal(err)
	}
	gk, _ := hex.DecodeString(tree.GroupKey)
	g, err := playertree.ParseGroupKey(gk)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(g); err != nil || k.Leaf != 5 || k.Tree.ID != tree.Tree {
		t.Fatalf("device keys = leaf %d of %s, Verify(group key of player tree) = %v; want leaf 5, verified", k.Leaf, k.Tree.ID, err)
	}
	if bytes.Contains(mustRead(t, deviceFile), k.Keys[0]) {
		t.Errorf("the device key file holds a key in plaintext")
	}

	c.ok("player", "revoke", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--reason", "leaked")
	if code, _, _ := c.run("player", "revoke", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--reason", "again"); code != ExitFailed {
		t.Errorf("player revoke of a revoked leaf = %d, want %d", code, ExitFailed)
	}
	if code, _, errs := c.run("player", "extract", "--home", c.home, "--kek-file", c.kek, "--leaf", "5", "--out", partials+".2"); code != ExitFailed || !strings.Contains(errs, "revoked") {
		t.Errorf("player extract of a revoked leaf = %d, %q; want refused, revoked", code, errs)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

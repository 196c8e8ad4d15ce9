package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/stationd/titles"
)

// TestTitlesCommand installs, lists and removes a title through the
// command line, against a station configuration.
func TestTitlesCommand(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(root, "state")
	cfg := filepath.Join(root, "station.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`state_dir = %q
custody_group = "ab"
[players]
tree = "players-1"
depth = 20
[[drive]]
device = "sim:"
[[node]]
address = "127.0.0.1:1"
static_key = "6a2f0d6c9e1b8f4a3c5d7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4"
signing_key = "04abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab"
`, state)), 0o600)
	img := make([]byte, 64*titlepkg.SectorSize)
	rand.NewChaCha8([32]byte{1}).Read(img)
	k := &titlepkg.Keys{Base: bytes.Repeat([]byte{1}, titlepkg.KeySize)}
	m, err := titlepkg.Create(root, titlepkg.Spec{TitleID: "film-1", Image: bytes.NewReader(img), ImageSize: int64(len(img)), Keys: k,
		ChunkSize: titlepkg.MinChunkSize, Rand: rand.NewChaCha8([32]byte{2})})
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(root, titlepkg.FileName("film-1"))
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), append([]string{"titles"}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("add", "--config", cfg, "--content-hash", strings.Repeat("00", 32), pkg); code != 1 || !strings.Contains(out, "not the registered title") {
		t.Errorf("titles add (wrong content hash) = %d, %q; want 1 and the reason", code, out)
	}
	if code, out := run("add", "--config", cfg, "--content-hash", hex.EncodeToString(m.Root[:]), pkg); code != 0 || !strings.Contains(out, "installed film-1") {
		t.Fatalf("titles add = %d, %q; want 0", code, out)
	}
	code, out := run("list", "--config", cfg, "--json")
	var list []titles.Record
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].TitleID != "film-1" {
		t.Errorf("titles list --json = %d, %q (%v); want film-1", code, out, err)
	}
	if code, out := run("list", "--config", cfg); code != 0 || !strings.Contains(out, "film-1") || !strings.Contains(out, " ok") {
		t.Errorf("titles list = %d, %q; want film-1 ok", code, out)
	}
	if code, out := run("remove", "--config", cfg, "film-1"); code != 0 {
		t.Errorf("titles remove = %d, %q", code, out)
	}
	if code, out := run("remove", "--config", cfg, "film-1"); code != 1 || !strings.Contains(out, "not installed") {
		t.Errorf("titles remove (again) = %d, %q; want 1, not installed", code, out)
	}
	if code, _ := run("add", "--help"); code != 0 {
		t.Errorf("titles add --help = %d, want 0", code)
	}
}

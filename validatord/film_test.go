package validatord

import (
	"context"
	"copystation/validatord/chain"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/internal/testenv"
	"copystation/media/film"
	"copystation/tracing/digests"
)

// TestTitlePackageFilm: "title package --film" authors the BDMV film from
// the issuer's encodings, places one forensic segment per inner GOP inside
// the m2ts; it writes no trace record without tracing parameters and
// refuses parameters needing more segments than the film has.
func TestTitlePackageFilm(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "mkudffs"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed: apt-get install ffmpeg udftools", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	enc, err := film.Encode(ctx, src, film.Options{Seconds: 4, Width: 1280, GOP: 24})
	if err != nil {
		t.Fatalf("film.Encode() = %v", err)
	}
	kek := filepath.Join(dir, "kek")
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(kek, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cli{t: t, ctx: ctx, kek: kek}
	// A network's genesis to deal the film's keys to: no node need run.
	op, _ := ecdh.P256().GenerateKey(rand.Reader)
	homes, err := chain.Testnet(filepath.Join(dir, "net"), 1, key, chain.GenesisOptions{Operators: [][]byte{op.PublicKey().Bytes()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pkg")
	var res struct {
		Package  string `json:"package"`
		Segments int    `json:"segments"`
	}
	if err := json.Unmarshal([]byte(c.ok("title", "package", "--film", src, "--out", out, "--title", "film-bd", "--home", homes[0], "--json")), &res); err != nil {
		t.Fatal(err)
	}
	m, err := titlepkg.Inspect(res.Package, "film-bd")
	if err != nil {
		t.Fatalf("titlepkg.Inspect() = %v", err)
	}
	want, err := film.Author(enc, "film-bd")
	if err != nil {
		t.Fatal(err)
	}
	if res.Segments != 2 || len(m.Segments) != 2 || m.ImageSize != int64(len(want.Image)) {
		t.Fatalf("title package --film = %d segments (manifest %d), image %d bytes; want 2, 2 and %d bytes",
			res.Segments, len(m.Segments), m.ImageSize, len(want.Image))
	}
	for i, s := range m.Segments {
		ts := want.Table.Segments[i]
		if s.Start != want.Variants[i].Start || s.Start != ts.Start || s.Sectors != ts.Sectors || s.Start < uint64(want.StreamSector) {
			t.Errorf("segment %d: manifest %+v, table %d+%d, authored at %d; want them equal and inside the m2ts (sector %d on)",
				i, s, ts.Start, ts.Sectors, want.Variants[i].Start, want.StreamSector)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "film-bd"+digests.FileExt)); !os.IsNotExist(err) {
		t.Errorf("title package --film without tracing parameters wrote a trace record (%v)", err)
	}
	// Tracing parameters needing more segments than the film's GOPs give.
	if code, _, errs := c.run("title", "package", "--film", src, "--out", out, "--title", "film-x", "--home", homes[0],
		"--copies", "10", "--coalition", "1", "--eps1", "0.5"); code != ExitFailed || !strings.Contains(errs, "need 30") {
		t.Errorf("title package --film with parameters needing 30 segments = exit %d %q, want a refusal", code, errs)
	}
	if code, _, _ := c.run("title", "package", "--film", src, "--image", res.Package, "--out", out, "--title", "x", "--kek-file", kek); code != ExitUsage {
		t.Errorf("title package --film --image = exit %d, want %d (usage)", code, ExitUsage)
	}
}

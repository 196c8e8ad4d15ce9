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
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/internal/testenv"
	"copystation/media/film"
)

// TestTitlePackageFilm: "title package --film" authors the BDMV film from
// the issuer's encodings, places one forensic segment per inner GOP inside
// the m2ts, and writes the digest table beside the package.
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
		Package        string `json:"package"`
		Segments       int    `json:"segments"`
		VariantDigests string `json:"variant_digests"`
	}
	if err := json.Unmarshal([]byte(c.ok("title", "package", "--film", src, "--out", out, "--title", "film-bd", "--home", homes[0], "--json")), &res); err != nil {
		t.Fatal(err)
	}
	m, err := titlepkg.Inspect(res.Package, "film-bd")
	if err != nil {
		t.Fatalf("titlepkg.Inspect() = %v", err)
	}
	tf, err := os.Open(res.VariantDigests)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	table, err := film.ReadTable(tf)
	if err != nil {
		t.Fatalf("film.ReadTable(%s) = %v", res.VariantDigests, err)
	}
	want, err := film.Author(enc, "film-bd")
	if err != nil {
		t.Fatal(err)
	}
	if res.Segments != 2 || len(m.Segments) != 2 || len(table.Segments) != 2 || m.ImageSize != int64(len(want.Image)) {
		t.Fatalf("title package --film = %d segments (manifest %d, table %d), image %d bytes; want 2, 2, 2 and %d bytes",
			res.Segments, len(m.Segments), len(table.Segments), m.ImageSize, len(want.Image))
	}
	for i, s := range m.Segments {
		ts := table.Segments[i]
		if s.Start != want.Variants[i].Start || s.Start != ts.Start || s.Sectors != ts.Sectors || s.Start < uint64(want.StreamSector) {
			t.Errorf("segment %d: manifest %+v, table %d+%d, authored at %d; want them equal and inside the m2ts (sector %d on)",
				i, s, ts.Start, ts.Sectors, want.Variants[i].Start, want.StreamSector)
		}
	}
	if code, _, _ := c.run("title", "package", "--film", src, "--image", res.Package, "--out", out, "--title", "x", "--kek-file", kek); code != ExitUsage {
		t.Errorf("title package --film --image = exit %d, want %d (usage)", code, ExitUsage)
	}
}

package burn

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/internal/testenv"
	"copystation/media/film"
	"copystation/media/udf"
	"copystation/tracing/tardos"
)

// TestFilmCopiesTrace burns three copies of a real film (a BDMV movie
// whose forensic segments are GOPs inside the m2ts) onto the simulated
// BD-R, plays each back (decrypts it, as "stationd disc check --out"
// does) and has film.Decide read each copy's codeword from its image and
// from an MKV remux of its stream.
func TestFilmCopiesTrace(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "mkudffs"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed: apt-get install ffmpeg udftools", tool)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	enc, err := film.Encode(ctx, dir, film.Options{Seconds: 5, Width: 1280, GOP: 24})
	if err != nil {
		t.Fatalf("film.Encode() = %v", err)
	}
	fm, err := film.Author(enc, "film-bd")
	if err != nil {
		t.Fatalf("film.Author() = %v", err)
	}
	n := len(fm.Variants)
	if _, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "film-bd", Image: bytes.NewReader(fm.Image), ImageSize: int64(len(fm.Image)),
		Variants: fm.Variants, Keys: titleKeys(t, n), ChunkSize: titlepkg.MinChunkSize, Rand: chacha(7)}); err != nil {
		t.Fatalf("titlepkg.Create() = %v", err)
	}
	path := filepath.Join(dir, titlepkg.FileName("film-bd"))
	pkg, err := titlepkg.Open(path, titleKeys(t, n))
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Close()
	f := &fixture{img: fm.Image, vars: fm.Variants, pkg: pkg, path: path}
	// Three segments; codeword bits most significant first.
	for k, cw := range []byte{0b101_00000, 0b011_00000, 0b110_00000} {
		sim := newSim(t)
		if _, err := Copy(ctx, newDrive(sim), f.job(t, sim, fmt.Sprintf("job-film-%d", k), []byte{cw})); err != nil {
			t.Fatalf("Copy(copy %d) = %v", k, err)
		}
		played, _, err := play(t, sim)
		if err != nil {
			t.Fatalf("ReadDisc(copy %d) = %v", k, err)
		}
		want := make(tardos.Decisions, n)
		for i := range want {
			want[i] = tardos.A
			if titlepkg.CodewordBit([]byte{cw}, i) == 1 {
				want[i] = tardos.B
			}
		}
		img := filepath.Join(dir, fmt.Sprintf("copy%d.udf", k))
		if err := os.WriteFile(img, played, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := film.Decide(ctx, img, &fm.Table)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("film.Decide(copy %d image) = %v, %v; want %v", k, got, err, want)
		}
		mkv := filepath.Join(dir, fmt.Sprintf("copy%d.mkv", k))
		m2ts, err := udf.ReadFile(played, film.StreamPath)
		if err != nil {
			t.Fatalf("udf.ReadFile(copy %d, %s) = %v", k, film.StreamPath, err)
		}
		stream := filepath.Join(dir, fmt.Sprintf("copy%d.m2ts", k))
		if err := os.WriteFile(stream, m2ts, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("ffmpeg", "-v", "error", "-nostdin", "-i", stream, "-map", "0", "-c", "copy", mkv).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg remux: %v\n%s", err, out)
		}
		if got, err := film.Decide(ctx, mkv, &fm.Table); err != nil || !slices.Equal(got, want) {
			t.Fatalf("film.Decide(copy %d MKV) = %v, %v; want %v", k, got, err, want)
		}
	}
}

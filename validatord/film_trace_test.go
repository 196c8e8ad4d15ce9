package validatord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"copystation/custody"
	"copystation/internal/testenv"
	"copystation/internal/tracetest"
	"copystation/media/film"
	"copystation/protocol"
	"copystation/tracing/accuse"
	"copystation/tracing/digests"
)

// TestFilmTraceNamesCopies: a real film (film.TracingOptions: 538 GOP
// segments) packaged with tracing parameters that name a coalition of 3
// among 4 copies (N=4, C=3, Eps1=0.01: 533 segments), registered with its
// trace record, four copies spent on the ledger. Each copy's plain disc
// image holds the variants of the Tardos codeword the ledger's opening
// defines (built here from the opened codewords, without a station, so
// images and remuxes can be compared; stationd/simstation
// TestFilmCopiesTracedFromMKV burns them); each is remuxed to MKV with "ffmpeg -c copy", and one MKV is
// spliced from copies 0, 1 and 2, GOP segments alternating. `validatord
// trace` names each copy from its MKV as from its image, reads the same
// decisions from the spliced MKV as from the spliced image, and accuses
// only colluders in the splice.
func TestFilmTraceNamesCopies(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "mkudffs"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed: apt-get install ffmpeg udftools", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Second)
	defer cancel()
	dir := t.TempDir()
	// Seed 1 fixes the group secret; with the fixed film, station key and
	// job IDs it fixes the codewords and so the verdicts, right for this
	// seed (fresh ones are wrong in at most a few Eps1 of networks).
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek"), dkgRand: testDKGRand(1)}
	startNode(t, c)
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	enc, err := film.Encode(ctx, src, film.TracingOptions)
	if err != nil {
		t.Fatalf("film.Encode(TracingOptions) = %v", err)
	}
	const title = "film-t"
	pkg := filepath.Join(dir, "pkg")
	c.ok("title", "package", "--film", src, "--out", pkg, "--title", title, "--home", c.home, "--copies", "4", "--coalition", "3", "--eps1", "0.01")
	recFile := filepath.Join(pkg, title+digests.FileExt)
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(pkg, title+".ctp"), "--trace", recFile)
	fm, err := film.Author(enc, title) // the package's stream and segments: their bytes are deterministic (the UDF volume's timestamps are not)
	if err != nil {
		t.Fatal(err)
	}
	segs := len(fm.Variants)

	spub := spendCopies(t, c, title, 4)
	b, err := (&env{ctx: ctx, home: c.home}).backend()
	if err != nil {
		t.Fatal(err)
	}
	chainID, _ := b.ChainID(ctx)
	group := nodeGroup(t, c)
	bs, err := accuse.TitleBiases(group, chainID, title, 3, segs, openWithVault(t, c, title))
	if err != nil {
		t.Fatal(err)
	}
	var imgs [][]byte
	var mkvs []string
	for k := range 4 {
		rec := custody.CopyRecord{ChainID: chainID, TitleID: title, JobID: fmt.Sprintf("job-%d", k), TokenID: fmt.Sprintf("tok-%d", k), StationKeyID: protocol.KeyID(spub)}
		lbl, _ := rec.Label()
		cw, err := accuse.CopyCodeword(group, rec, bs, signWithVault(t, c, lbl))
		if err != nil {
			t.Fatal(err)
		}
		img := bytes.Clone(fm.Image)
		for s, v := range fm.Variants {
			if cw.Bit(s) == 1 {
				copy(img[v.Start*2048:], v.B)
			}
		}
		imgs = append(imgs, img)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("copy%d.udf", k)), img, 0o600); err != nil {
			t.Fatal(err)
		}
		mkvs = append(mkvs, tracetest.RemuxToMKV(t, dir, fmt.Sprintf("copy%d", k), img))
	}
	// The splice: segment s from colluder s mod 3, in the image and in
	// the video stream.
	splice := bytes.Clone(fm.Image)
	for s, v := range fm.Variants {
		n := v.Start * 2048
		copy(splice[n:n+uint64(len(v.B))], imgs[s%3][n:])
	}
	spliceImg := filepath.Join(dir, "splice.udf")
	if err := os.WriteFile(spliceImg, splice, 0o600); err != nil {
		t.Fatal(err)
	}
	spliceMKV := tracetest.SpliceMKVs(t, dir, mkvs[:3])

	key, answer, openings := filepath.Join(dir, "opening.key"), filepath.Join(dir, "answer0"), filepath.Join(dir, "open.json")
	c.ok("trace", "request", "--home", c.home, "--kek-file", c.kek, "--id", "leak-1", "--title", title, "--image", spliceMKV, "--trace", recFile,
		"--jobs", "job-0,job-1,job-2,job-3", "--key-out", key)
	c.ok("trace", "answer", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--out", answer)
	c.ok("trace", "combine", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--key", key, "--out", openings, "--answer", answer)
	trace := func(leak string) tracetest.Output {
		var tr tracetest.Output
		out := c.ok("trace", "--home", c.home, "--title", title, "--image", leak, "--trace", recFile, "--openings", openings, "--json")
		if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.Scored != 4 || tr.Segments != segs {
			t.Fatalf("trace %s = %+v, %v; want %d segments and 4 copies scored", leak, tr, err, segs)
		}
		return tr
	}
	for k := range 4 {
		img := filepath.Join(dir, fmt.Sprintf("copy%d.udf", k))
		fromImg, fromMKV := trace(img), trace(mkvs[k])
		if fromImg.Decisions != fromMKV.Decisions || fromMKV.Erased != 0 {
			t.Errorf("copy %d: decisions from the MKV %+v, from the image %+v; want the same, none erased", k, fromMKV, fromImg)
		}
		if top := fromMKV.Top(); top != fmt.Sprintf("job-%d", k) {
			t.Errorf("trace copy%d.mkv accused %+v; want job-%d first", k, fromMKV.Accused, k)
		}
	}
	fromImg, fromMKV := trace(spliceImg), trace(spliceMKV)
	if fromImg.Decisions != fromMKV.Decisions || fromMKV.Erased != 0 {
		t.Errorf("splice: decisions from the MKV %+v, from the image %+v; want the same, none erased", fromMKV, fromImg)
	}
	if len(fromMKV.Accused) == 0 {
		t.Errorf("trace splice.mkv accused no one, want colluders")
	}
	for _, a := range fromMKV.Accused {
		if !slices.Contains([]string{"job-0", "job-1", "job-2"}, a.Copy) || a.Station != protocol.KeyID(spub) || a.Height == 0 {
			t.Errorf("trace splice.mkv accused %+v, want only copies 0, 1 and 2", a)
		}
	}
	t.Logf("splice.mkv: %d accused of 3 colluders", len(fromMKV.Accused))
}

package simstation

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"copystation/internal/testenv"
	"copystation/internal/tracetest"
	"copystation/media/film"
)

// TestFilmCopiesTracedFromMKV is issue 18's must-show on burned discs: the
// tracing film (film.TracingOptions: 90 s of 480p, 538 GOP segments),
// packaged by `validatord title package --film` with N=4, C=3, Eps1=0.01
// (533 segments needed) and registered on four nodes; the simulated
// station burns four copies carrying Tardos codewords, three are read
// back and decrypted by `stationd disc check --out`.
//
// One decrypted copy is a Blu-ray movie: its BDMV folder opens with
// libbluray's bd_info and bd_list_titles (playlist 00000.mpls, 90
// seconds), and ffmpeg -xerror decodes every frame of its main title.
//
// The three copies' main title is remuxed to MKV with "ffmpeg -c copy",
// and one MKV is spliced from the three, GOP segments alternating.
// `validatord trace` (opened by two nodes) names each copy from its own
// MKV (that copy first; the fourth copy, never read back, not at all),
// and in the splice accuses colluders only — at least one, never the
// fourth copy — and `trace accuse` records that on the ledger. The
// assertions stay within what Tardos's code promises: a coalition of at
// most C = 3 has a member accused, and with Eps1 = 0.01 an innocent copy
// is accused with probability at most 1% per trace, a loose bound (the
// rate observed in simulation is about 0.1%: docs/tracing.md, "Naming
// copies from MKVs"), so an innocent copy beside the leaker of a single
// copy is tolerated, the fourth copy is not.
func TestFilmCopiesTracedFromMKV(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "mkudffs", "bd_info", "bd_list_titles"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed: apt-get install ffmpeg udftools libbluray-bin", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// Seed 1 fixes this network's group secret and job IDs, hence the four
	// codewords (newTracedNet): with it every trace below is right, as it
	// would be in all but at most a few Eps1 of fresh networks.
	n := newTracedNet(ctx, t, dir, 1)

	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := film.Encode(ctx, src, film.TracingOptions); err != nil {
		t.Fatalf("film.Encode(TracingOptions) = %v", err)
	}
	t.Logf("film encoded in %v", time.Since(start).Round(time.Second))
	rec := n.register(4, "--film", src, "--copies", "4", "--coalition", "3", "--eps1", "0.01")
	discs, jobs := n.burn(4, 3*time.Minute)
	copies := n.readBack(discs[:3])

	// A burned, decrypted copy opens as a Blu-ray movie.
	img, err := os.ReadFile(copies[0])
	if err != nil {
		t.Fatal(err)
	}
	bd := filepath.Join(dir, "copy0-bd")
	if err := film.Extract(img, bd); err != nil {
		t.Fatal(err)
	}
	if info := run(t, nil, "bd_info", bd); !strings.Contains(info, "BluRay detected     : yes") || !strings.Contains(info, "HDMV titles         : 1") {
		t.Errorf("bd_info on copy 0 = %s\nwant a Blu-ray with one HDMV title", info)
	}
	titles := run(t, nil, "bd_list_titles", bd)
	for _, want := range []string{"(playlist: 00000.mpls)", fmt.Sprintf("duration: 00:01:%02d", film.TracingOptions.Seconds-60), "V:1 A:1"} {
		if !strings.Contains(titles, want) {
			t.Errorf("bd_list_titles on copy 0 = %s\nwant %q", titles, want)
		}
	}
	run(t, nil, "ffmpeg", "-v", "error", "-xerror", "-nostdin", "-i", filepath.Join(bd, film.StreamPath), "-map", "0", "-f", "null", "-")

	// The main title of each copy remuxed to MKV, and the splice.
	var mkvs []string
	for i, c := range copies {
		p, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		mkvs = append(mkvs, tracetest.RemuxToMKV(t, dir, fmt.Sprintf("copy%d", i), p))
	}
	splice := tracetest.SpliceMKVs(t, dir, mkvs)

	openings := n.open(splice, rec, jobs)
	for i, m := range mkvs {
		tr := n.trace(m, rec, openings)
		if tr.Scored != 4 || tr.Erased != 0 {
			t.Fatalf("trace copy%d.mkv = %+v, want 4 copies scored, no segment erased", i, tr)
		}
		// The leaker first; an innocent copy beside it is within Eps1
		// (docs/tracing.md: 5 in 4,000 simulated single-copy leaks), the
		// copy never read back must not be.
		if top := tr.Top(); top != jobs[i] {
			t.Errorf("trace copy%d.mkv accused %+v; want copy %s first", i, tr.Accused, jobs[i])
		}
		for _, a := range tr.Accused {
			if a.Copy == jobs[3] || a.Station != n.keys.ID || a.Height == 0 {
				t.Errorf("trace copy%d.mkv accused %+v; copy %s never leaked", i, a, jobs[3])
			}
		}
	}
	tr := n.trace(splice, rec, openings)
	if tr.Scored != 4 || tr.Erased != 0 || len(tr.Accused) == 0 {
		t.Fatalf("trace splice.mkv = %+v, want 4 scored, none erased, a colluder accused", tr)
	}
	for _, a := range tr.Accused {
		if !slices.Contains(jobs[:3], a.Copy) || a.Station != n.keys.ID || a.Height == 0 {
			t.Errorf("trace splice.mkv accused %+v; the colluders are %v, the station %s", a, jobs[:3], n.keys.ID)
		}
	}
	acc := n.accuse(openings, jobs[3])
	t.Logf("%d segments; splice.mkv: %d of 3 colluders accused, %d on the ledger", tr.Segments, len(tr.Accused), len(acc.Accused))
}

// run runs a tool and returns its combined output (stdout alone into
// stdout when given); it fails the test if the tool fails.
func run(t *testing.T, stdout *bytes.Buffer, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stderr = &out
	cmd.Stdout = &out
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// Package tracetest holds the steps the end-to-end tracing tests share
// (validatord's TestFilmTraceNamesCopies, stationd/simstation's
// TestFilmCopiesTracedFromMKV and TestTracedCopiesFourNodes): reading
// `validatord trace --json`, naming its top accused copy, and turning
// decrypted film copies into MKV remuxes and a GOP-by-GOP splice of them
// with ffmpeg, as a person leaking a film would. Tests only.
package tracetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"copystation/media/film"
	"copystation/media/h264"
	"copystation/media/udf"
)

// Output is what `validatord trace --json` prints, as far as the tests
// read it (docs/tracing.md, "How to run a trace").
type Output struct {
	Segments  int       `json:"segments"`
	Erased    int       `json:"erased"`
	Decisions string    `json:"decisions"` // hex of the Decisions encoding
	Scored    int       `json:"scored"`
	Accused   []Accused `json:"accused"`
}

// Accused is one accused copy in Output.
type Accused struct {
	Copy    string  `json:"copy"` // the job ID
	Station string  `json:"station"`
	Height  int64   `json:"height"`
	Score   float64 `json:"score"`
}

// Top is the highest-scoring accused copy's ID ("" when none is accused).
func (o Output) Top() string {
	best, id := 0.0, ""
	for _, a := range o.Accused {
		if id == "" || a.Score > best {
			best, id = a.Score, a.Copy
		}
	}
	return id
}

// RemuxToMKV writes the main title of a decrypted copy's image (its m2ts,
// as a person copies it off the mounted disc) to dir/name.m2ts and its
// remux with "ffmpeg -c copy" to dir/name.mkv, which it returns.
func RemuxToMKV(t testing.TB, dir, name string, img []byte) string {
	t.Helper()
	m2ts, err := udf.ReadFile(img, film.StreamPath)
	if err != nil {
		t.Fatalf("udf.ReadFile(%s, %s) = %v", name, film.StreamPath, err)
	}
	stream, mkv := filepath.Join(dir, name+".m2ts"), filepath.Join(dir, name+".mkv")
	if err := os.WriteFile(stream, m2ts, 0o600); err != nil {
		t.Fatal(err)
	}
	ffmpeg(t, nil, "-i", stream, "-map", "0", "-c", "copy", mkv)
	return mkv
}

// SpliceMKVs takes the video out of each MKV (Annex B, "-c copy"), takes
// segment s (GOP s+1: the first GOP is no segment) from MKV s mod
// len(mkvs), as an image splice takes segment s from copy s mod n, and
// muxes the result into dir/splice.mkv with "-c copy", which it returns.
func SpliceMKVs(t testing.TB, dir string, mkvs []string) string {
	t.Helper()
	var gops [][]h264.GOP
	for _, m := range mkvs {
		var es bytes.Buffer
		ffmpeg(t, &es, "-i", m, "-map", "0:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-")
		gops = append(gops, h264.GOPs(h264.AccessUnits(h264.NALs(es.Bytes()))))
	}
	var out []byte
	for g := range gops[0] {
		for _, au := range gops[(g+len(gops)-1)%len(gops)][g].Units {
			for _, n := range au.NALs {
				out = append(append(out, 0, 0, 0, 1), n...)
			}
		}
	}
	es, mkv := filepath.Join(dir, "splice.h264"), filepath.Join(dir, "splice.mkv")
	if err := os.WriteFile(es, out, 0o600); err != nil {
		t.Fatal(err)
	}
	ffmpeg(t, nil, "-f", "h264", "-framerate", fmt.Sprint(film.FPS), "-i", es, "-c", "copy", mkv)
	return mkv
}

// ffmpeg runs ffmpeg quietly, overwriting its output, stdout into stdout
// when given; it fails the test if ffmpeg fails.
func ffmpeg(t testing.TB, stdout *bytes.Buffer, args ...string) {
	t.Helper()
	args = append([]string{"-v", "error", "-nostdin", "-y"}, args...)
	cmd := exec.Command("ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
}

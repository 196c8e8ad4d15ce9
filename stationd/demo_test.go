//go:build !nonode

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"copystation/internal/testenv"
	"copystation/media/film"
	"copystation/media/udf"
)

// TestDemo runs `stationd demo --json` end to end on a machine without
// ffmpeg, as a fresh one is: the demo says so and burns a generated image
// instead of the film (embedded node, TPM simulator, simulated drive, a
// real burn and a refused second copy). TestDemoFilm burns the film.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo burns a disc")
	}
	t.Setenv("PATH", t.TempDir()) // no tool at all
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"demo", "--json", "--size", "8"}, &out, &errb)
	if code != 0 {
		t.Fatalf("stationd demo --json = exit %d\nstderr:\n%s", code, errb.String())
	}
	if msg := errb.String(); !strings.Contains(msg, "ffmpeg and mkudffs not installed (apt-get install ffmpeg udftools)") || !strings.Contains(msg, "generated title instead of the film") {
		t.Errorf("stationd demo without ffmpeg said %q; want a notice naming ffmpeg, its package and the generated title", msg)
	}
	var r DemoResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	c := r.Copy
	if c.CopyID == "" || c.Token == "" || len(c.MediaID) != 32 || c.Height <= 0 || len(c.TxHash) != 64 || len(c.DiscDigest) != 64 {
		t.Errorf("receipt = %+v, want copy ID, token, 16-byte media ID, height, 32-byte tx hash and disc digest", c)
	}
	if !c.PlayedBack {
		t.Errorf("receipt = %+v, want the disc played back", c)
	}
	// The forensic codeword is committed on the ledger, never published.
	if strings.Contains(strings.ToLower(out.String()+errb.String()), "codeword") {
		t.Errorf("the demo shows the forensic codeword:\n%s\n%s", out.String(), errb.String())
	}
	if r.Refusal.Code != "token_spent" || !strings.Contains(r.Refusal.Message, "already been used") {
		t.Errorf("second attempt = %+v, want code token_spent with a message a person understands", r.Refusal)
	}
	if !strings.Contains(errb.String(), "Receipt") || !strings.Contains(errb.String(), "Refused:") {
		t.Errorf("narration lacks the receipt or the refusal:\n%s", errb.String())
	}
}

// TestDemoFilm runs `stationd demo`, which burns a real film by default
// (docs/film.md): it is burned, played back, saved decrypted, and its
// variants read back from the video stream.
func TestDemoFilm(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo burns a disc")
	}
	for _, tool := range []string{"ffmpeg", "mkudffs"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed: apt-get install ffmpeg udftools", tool)
		}
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"demo", "--json", "--keep", dir}, &out, &errb); code != 0 {
		t.Fatalf("stationd demo = exit %d\nstderr:\n%s", code, errb.String())
	}
	var r DemoResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || !r.Copy.PlayedBack {
		t.Fatalf("stationd demo = %+v, %v; want a copy played back", r, err)
	}
	if !strings.Contains(errb.String(), "traced: the video stream of the decrypted copy shows, in all 4 segments") {
		t.Errorf("narration lacks the trace of the copy:\n%s", errb.String())
	}
	if strings.Contains(strings.ToLower(out.String()+errb.String()), "codeword") {
		t.Errorf("the demo shows the forensic codeword:\n%s", errb.String())
	}
	img, err := os.ReadFile(filepath.Join(dir, "copy.udf"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := udf.ReadFile(img, film.StreamPath); err != nil {
		t.Errorf("udf.ReadFile(copy.udf, %s) = %v, want the film's stream", film.StreamPath, err)
	}
}

// TestDemoWithoutFFmpeg: asked for the film on a machine without ffmpeg,
// runDemo stops before starting anything (cmdDemo then burns a generated
// title: TestDemo).
func TestDemoWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no tool at all
	var say bytes.Buffer
	if _, err := runDemo(context.Background(), &say, 8, "", true); !errors.Is(err, ErrDemoTools) || !errors.Is(err, film.ErrTool) {
		t.Errorf("runDemo(film) without ffmpeg = %v, want ErrDemoTools and film.ErrTool", err)
	}
	if strings.Contains(say.String(), "Starting an embedded validation node") {
		t.Errorf("runDemo(film) without ffmpeg started the network first:\n%s", say.String())
	}
}

package film

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"copystation/media/m2ts"
)

func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestAuthorOpensInLibbluray: the authored image holds a BDMV movie that
// libbluray's own tools read (one HDMV title, 720p at 24 Hz, the playlist
// 00000.mpls of 6 seconds with its video and audio), and ffmpeg decodes
// every frame of the title's stream without an error.
func TestAuthorOpensInLibbluray(t *testing.T) {
	need(t, "bd_info", "bd_list_titles", "ffprobe")
	_, f := testFilm(t)
	dir := t.TempDir()
	if err := Extract(f.Image, dir); err != nil {
		t.Fatal(err)
	}
	info := tool(t, "bd_info", dir)
	for _, want := range []string{"BluRay detected     : yes", "HDMV titles         : 1", "720p (0x5)", "24 Hz (0x2)"} {
		if !strings.Contains(info, want) {
			t.Errorf("bd_info = %s\nwant a line with %q", info, want)
		}
	}
	titles := tool(t, "bd_list_titles", dir)
	for _, want := range []string{"duration: 00:00:06", "(playlist: 00000.mpls)", "V:1 A:1"} {
		if !strings.Contains(titles, want) {
			t.Errorf("bd_list_titles = %s\nwant %q", titles, want)
		}
	}
	stream := filepath.Join(dir, StreamPath)
	tool(t, "ffmpeg", "-v", "error", "-xerror", "-nostdin", "-i", stream, "-map", "0", "-f", "null", "-")
	n := strings.Fields(tool(t, "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", stream))
	if len(n) == 0 || n[0] != strconv.Itoa(f.Frames) || f.Frames != DefaultOptions.Seconds*FPS {
		t.Errorf("ffprobe frames = %v, authored %d, want %d", n, f.Frames, DefaultOptions.Seconds*FPS)
	}
}

// withVariants returns the film's stream with segment i in variant B
// where pick[i] is set, as a copy taking those variants holds it.
func withVariants(f *Film, pick []bool) []byte {
	s := bytes.Clone(f.Stream)
	for i, v := range f.Variants {
		if pick[i] {
			copy(s[(int(v.Start)-f.StreamSector)*2048:], v.B)
		}
	}
	return s
}

// TestVariantsLookTheSame: every segment's variants differ in their coded
// bytes, sit on whole aligned units of the stream, and decode to frames
// no further apart than PSNR 45 dB (ffmpeg's psnr filter, every frame);
// the B rendering decodes without an error.
func TestVariantsLookTheSame(t *testing.T) {
	_, f := testFilm(t)
	if len(f.Variants) != DefaultOptions.Seconds-2 {
		t.Fatalf("Author() = %d segments, want %d (every GOP but the first and last)", len(f.Variants), DefaultOptions.Seconds-2)
	}
	all := make([]bool, len(f.Variants))
	for i, v := range f.Variants {
		all[i] = true
		off := (int(v.Start) - f.StreamSector) * 2048
		if off%m2ts.UnitSize != 0 || len(v.B)%m2ts.UnitSize != 0 || bytes.Equal(v.B, f.Stream[off:off+len(v.B)]) {
			t.Fatalf("segment %d at stream byte %d (%d bytes): not whole aligned units with different bytes", i, off, len(v.B))
		}
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.m2ts"), filepath.Join(dir, "b.m2ts")
	if err := os.WriteFile(a, f.Stream, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, withVariants(f, all), 0o644); err != nil {
		t.Fatal(err)
	}
	tool(t, "ffmpeg", "-v", "error", "-xerror", "-nostdin", "-i", b, "-map", "0", "-f", "null", "-")
	stats := filepath.Join(dir, "psnr.txt")
	tool(t, "ffmpeg", "-v", "error", "-nostdin", "-i", a, "-i", b, "-lavfi", "[0:v][1:v]psnr=stats_file="+stats, "-f", "null", "-")
	worst, frames, differ := psnrStats(t, stats)
	t.Logf("variant A vs B: %d frames, %d differ, lowest PSNR %.2f dB", frames, differ, worst)
	if frames != f.Frames || differ < len(f.Variants)*DefaultOptions.GOP || worst < MinPSNR {
		t.Errorf("psnr(A, B) = %d frames, %d differing, lowest %.2f dB; want %d frames, at least %d differing, lowest >= %.0f dB",
			frames, differ, worst, f.Frames, len(f.Variants)*DefaultOptions.GOP, MinPSNR)
	}
}

// psnrStats reads a psnr filter stats file: the lowest per-frame
// psnr_avg, the frame count and how many frames differ at all.
func psnrStats(t *testing.T, path string) (worst float64, frames, differ int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	worst = math.Inf(1)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		for _, field := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(field, "psnr_avg:"); ok {
				frames++
				p, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("psnr stats %q: %v", line, err)
				}
				if !math.IsInf(p, 1) {
					differ++
				}
				worst = min(worst, p)
			}
		}
	}
	return worst, frames, differ
}

// TestAuthorRefuses: encodings that cannot be a film's variants are
// refused with ErrSource: GOPs that differ between the two, and a picture
// size the clip information cannot declare.
func TestAuthorRefuses(t *testing.T) {
	need(t, "ffmpeg", "mkudffs")
	enc, _ := testFilm(t)
	dir := t.TempDir()
	small := func(name string, gop int) string {
		p := filepath.Join(dir, name)
		o := Options{Seconds: 3, GOP: gop}
		args := append([]string{"-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=3"}, x264Args(o)...)
		tool(t, "ffmpeg", append(args, p)...)
		return p
	}
	a, b := small("a.h264", 24), small("b.h264", 12)
	for _, tc := range []struct {
		name string
		e    Encoding
		want string
	}{
		{"different GOPs", Encoding{VideoA: enc.VideoA, VideoB: b, Audio: enc.Audio}, "pictures in the two encodings"},
		{"320x180", Encoding{VideoA: a, VideoB: a, Audio: enc.Audio}, "320x180"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Author(&tc.e, "x"); !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Author(%s) = %v, want ErrSource naming %q", tc.name, err, tc.want)
			}
		})
	}
}

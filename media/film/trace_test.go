package film

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"copystation/tracing/tardos"
)

// copyImage is the image a copy taking variant B at the set positions
// holds once decrypted: the film's image with those segments swapped.
func copyImage(f *Film, d tardos.Decisions) []byte {
	img := bytes.Clone(f.Image)
	for i, v := range f.Variants {
		if d[i] == tardos.B {
			copy(img[v.Start*2048:], v.B)
		}
	}
	return img
}

func decide(t *testing.T, path string, tab *Table) tardos.Decisions {
	t.Helper()
	d, err := Decide(context.Background(), path, tab)
	if err != nil {
		t.Fatalf("Decide(%s) = %v", filepath.Base(path), err)
	}
	return d
}

// TestDecideSurvivesRemux: three copies, each read from its disc image,
// from its m2ts, and from an MKV remux of it ("ffmpeg -c copy"), decide
// their own codewords; one copy also from an MP4 remux. An MKV spliced
// from the three copies' MKVs (segments alternating) decides per segment
// whichever copy each came from; a cut (seconds 2 to 4) decides the
// segments it holds and erases the rest; a re-encode decides nothing.
func TestDecideSurvivesRemux(t *testing.T) {
	_, f := testFilm(t)
	if len(f.Table.Segments) != 4 {
		t.Fatalf("the test film has %d segments, this test is written for 4", len(f.Table.Segments))
	}
	A, B, E := tardos.A, tardos.B, tardos.Erased
	copies := []tardos.Decisions{{B, A, B, A}, {A, B, B, A}, {A, A, B, B}}
	dir := t.TempDir()
	var mkvs []string
	for k, cw := range copies {
		img := filepath.Join(dir, fmt.Sprintf("copy%d.udf", k))
		data := copyImage(f, cw)
		if err := os.WriteFile(img, data, 0o644); err != nil {
			t.Fatal(err)
		}
		stream := filepath.Join(dir, fmt.Sprintf("copy%d.m2ts", k))
		if err := os.WriteFile(stream, withVariants(f, slices.Collect(func(yield func(bool) bool) {
			for _, d := range cw {
				yield(d == B)
			}
		})), 0o644); err != nil {
			t.Fatal(err)
		}
		mkv := filepath.Join(dir, fmt.Sprintf("copy%d.mkv", k))
		tool(t, "ffmpeg", "-v", "error", "-nostdin", "-i", stream, "-map", "0", "-c", "copy", mkv)
		mkvs = append(mkvs, mkv)
		for _, p := range []string{img, stream, mkv} {
			if got := decide(t, p, &f.Table); !slices.Equal(got, cw) {
				t.Errorf("Decide(copy %d, %s) = %v, want %v", k, filepath.Ext(p), got, cw)
			}
		}
		if k == 0 {
			mp4 := filepath.Join(dir, "copy0.mp4")
			tool(t, "ffmpeg", "-v", "error", "-nostdin", "-i", stream, "-map", "0", "-c", "copy", mp4)
			if got := decide(t, mp4, &f.Table); !slices.Equal(got, cw) {
				t.Errorf("Decide(copy 0, .mp4) = %v, want %v", got, cw)
			}
		}
	}
	// GOP g (g seconds in) is segment g-1; the splice takes seconds [0,2)
	// from copy 0, [2,3) from copy 1, [3,4) from copy 2, [4,6) from copy 0.
	list := filepath.Join(dir, "splice.txt")
	parts := []struct{ k, in, out int }{{0, 0, 2}, {1, 2, 3}, {2, 3, 4}, {0, 4, 6}}
	var sb strings.Builder
	sb.WriteString("ffconcat version 1.0\n")
	for _, p := range parts {
		fmt.Fprintf(&sb, "file '%s'\ninpoint %d\noutpoint %d\n", mkvs[p.k], p.in, p.out)
	}
	if err := os.WriteFile(list, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	splice := filepath.Join(dir, "splice.mkv")
	tool(t, "ffmpeg", "-v", "error", "-nostdin", "-f", "concat", "-safe", "0", "-i", list, "-map", "0", "-c", "copy", splice)
	want := tardos.Decisions{copies[0][0], copies[1][1], copies[2][2], copies[0][3]}
	if got := decide(t, splice, &f.Table); !slices.Equal(got, want) {
		t.Errorf("Decide(splice) = %v, want %v", got, want)
	}
	cut := filepath.Join(dir, "cut.mkv")
	tool(t, "ffmpeg", "-v", "error", "-nostdin", "-ss", "2", "-i", mkvs[1], "-t", "2", "-map", "0", "-c", "copy", cut)
	if got, want := decide(t, cut, &f.Table), (tardos.Decisions{E, B, B, E}); !slices.Equal(got, want) {
		t.Errorf("Decide(seconds 2 to 4 of copy 1) = %v, want %v", got, want)
	}
	reenc := filepath.Join(dir, "reencoded.mkv")
	tool(t, "ffmpeg", "-v", "error", "-nostdin", "-i", mkvs[2], "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-an", reenc)
	if got, want := decide(t, reenc, &f.Table), (tardos.Decisions{E, E, E, E}); !slices.Equal(got, want) {
		t.Errorf("Decide(re-encoded) = %v, want %v (this mark does not survive re-encoding)", got, want)
	}
}

func TestDecideRefuses(t *testing.T) {
	need(t, "ffmpeg")
	dir := t.TempDir()
	tone := filepath.Join(dir, "tone.mka")
	tool(t, "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "sine=duration=1", tone)
	tab := &Table{Segments: []SegmentDigests{{A: make([]byte, 32), B: bytes.Repeat([]byte{1}, 32)}}}
	if _, err := DecideES(nil, &Table{Segments: []SegmentDigests{{A: []byte{1}, B: []byte{2}}}}); !errors.Is(err, ErrTable) {
		t.Errorf("DecideES(table with 1-byte digests) = %v, want ErrTable", err)
	}
	if _, err := Decide(context.Background(), tone, tab); !errors.Is(err, ErrNoVideo) {
		t.Errorf("Decide(audio only) = %v, want ErrNoVideo", err)
	}
	junk := filepath.Join(dir, "junk.bin")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("junk"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Decide(context.Background(), junk, tab); !errors.Is(err, ErrTool) {
		t.Errorf("Decide(junk) = %v, want ErrTool (ffmpeg cannot read it)", err)
	}
}

// FuzzDecideES: any bytes as a video stream give one decision per
// segment, never a panic; a segment is decided only if the stream holds
// a GOP with that digest (random bytes do not).
func FuzzDecideES(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0x88, 0x84})
	f.Add([]byte{0, 0, 1, 0x67, 0x64, 0, 0x1f, 0, 0, 1, 0x68, 0, 0, 1, 0x65, 0, 0, 1, 0x41, 0x9a})
	tab := &Table{Segments: []SegmentDigests{{A: bytes.Repeat([]byte{2}, 32), B: bytes.Repeat([]byte{1}, 32)}}}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecideES(b, tab)
		if err != nil || len(d) != 1 || d[0] != tardos.Erased {
			t.Fatalf("DecideES() = %v, %v; want one erased segment", d, err)
		}
	})
}

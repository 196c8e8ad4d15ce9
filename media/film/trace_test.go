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
	tab := &Table{Version: TableVersion, Segments: []SegmentDigests{{A: make([]byte, 32), B: bytes.Repeat([]byte{1}, 32)}}}
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

func TestReadTable(t *testing.T) {
	_, f := testFilm(t)
	b, err := f.Table.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadTable(bytes.NewReader(b))
	if err != nil || len(got.Segments) != len(f.Table.Segments) || got.Segments[1].Start != f.Table.Segments[1].Start {
		t.Fatalf("ReadTable(Marshal()) = %v, %v; want the table back", got, err)
	}
	for _, bad := range []string{`{}`, `{"version":2,"segments":[]}`, `{"version":1,"segments":[{"a":"AA==","b":"AA=="}]}`, `{"version":1,"x":1}`} {
		if _, err := ReadTable(strings.NewReader(bad)); !errors.Is(err, ErrTable) {
			t.Errorf("ReadTable(%s) = %v, want ErrTable", bad, err)
		}
	}
}

func FuzzReadTable(f *testing.F) {
	f.Add([]byte(`{"version":1,"title":"t","segments":[{"start_sector":9,"sectors":3,"first_frame":24,"frames":24,"a":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","b":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ReadTable(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrTable) {
				t.Fatalf("ReadTable() = %v, want nil or ErrTable", err)
			}
			return
		}
		if _, err := DecideES(b, tab); err != nil { // any bytes as a stream: decisions, never a panic
			t.Fatalf("DecideES(checked table) = %v", err)
		}
	})
}

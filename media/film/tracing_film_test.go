package film

import (
	"context"
	"strings"
	"testing"
)

// TestAuthor480p: a film of 480p pictures in GOPs of 4 frames (the shape
// of TracingOptions, shorter) is authored with a segment per inner GOP,
// and libbluray's tools read it as a 480p title at 24 Hz.
func TestAuthor480p(t *testing.T) {
	need(t, "ffmpeg", "mkudffs", "bd_info", "bd_list_titles")
	dir := t.TempDir()
	o := TracingOptions
	o.Seconds = 3
	enc, err := Encode(context.Background(), dir, o)
	if err != nil {
		t.Fatalf("Encode(%+v) = %v", o, err)
	}
	f, err := Author(enc, "film-480")
	if err != nil {
		t.Fatalf("Author() = %v", err)
	}
	if want := o.Seconds*FPS/o.GOP - 2; len(f.Variants) != want || len(f.Table.Segments) != want {
		t.Errorf("Author() = %d variants, %d table entries; want %d (a segment per inner GOP)", len(f.Variants), len(f.Table.Segments), want)
	}
	bd := t.TempDir()
	if err := Extract(f.Image, bd); err != nil {
		t.Fatal(err)
	}
	info := tool(t, "bd_info", bd)
	for _, want := range []string{"HDMV titles         : 1", "480p (0x3)", "24 Hz (0x2)"} {
		if !strings.Contains(info, want) {
			t.Errorf("bd_info = %s\nwant a line with %q", info, want)
		}
	}
	if titles := tool(t, "bd_list_titles", bd); !strings.Contains(titles, "duration: 00:00:03") {
		t.Errorf("bd_list_titles = %s\nwant a 3-second title", titles)
	}
}

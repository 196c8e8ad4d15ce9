package qr

import (
	"errors"
	"strings"
	"testing"

	"copystation/internal/qr/qrtest"
)

func decodePNG(t *testing.T, p []byte) string {
	t.Helper()
	s, err := qrtest.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
func TestPNGDecodes(t *testing.T) {
	tests := []struct{ name, text string }{
		{"short", "copystation:copy/job-1"},
		{"grant sized", "CSG1:" + strings.Repeat("AbC-_9", 80)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Encode(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.PNG(4)
			if err != nil {
				t.Fatal(err)
			}
			if got := decodePNG(t, p); got != tt.text {
				t.Errorf("decoded %q, want %q", got, tt.text)
			}
			if svg := c.SVG("code"); !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "h1v1h-1z") {
				t.Errorf("SVG = %.80q", svg)
			}
			if lines := strings.Count(c.Terminal(), "\n"); lines != (c.Size()+2*quiet+1)/2 {
				t.Errorf("Terminal has %d lines for %d modules", lines, c.Size())
			}
		})
	}
}

func TestEncodeTooLong(t *testing.T) {
	if _, err := Encode(strings.Repeat("x", 4000)); !errors.Is(err, ErrEncode) {
		t.Error("Encode(4000 bytes) = nil error, want ErrEncode")
	}
}

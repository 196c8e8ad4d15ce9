package qrscan

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"copystation/internal/qr"
)

// frameOf draws a code's image into a w×h grey frame at (x, y), as a
// camera sees a phone's screen.
func frameOf(t testing.TB, text string, w, h, x, y int) *Frame {
	t.Helper()
	c, err := qr.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	img := c.Image(3)
	g := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(g, g.Bounds(), image.NewUniform(color.Gray{0xc0}), image.Point{}, draw.Src)
	draw.Draw(g, img.Bounds().Add(image.Pt(x, y)), img, image.Point{}, draw.Src)
	return &Frame{W: w, H: h, Y: g.Pix}
}

func TestDecode(t *testing.T) {
	text := "CSG1:AAAAFmNvcHlzdGF0aW9uIGN1c3RvbWVyLWF1dGhvcml6YXRpb24AAw"
	tests := []struct {
		name string
		f    *Frame
		want error
	}{
		{"centred", frameOf(t, text, 640, 480, 150, 80), nil},
		{"in a corner", frameOf(t, text, 640, 480, 0, 0), nil},
		{"blank", &Frame{W: 64, H: 64, Y: make([]byte, 64*64)}, ErrNoCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.f)
			if !errors.Is(err, tt.want) || (err == nil && got != text) {
				t.Errorf("Decode = %q, %v; want %q, %v", got, err, text, tt.want)
			}
		})
	}
}

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name string
		w, h string
		n    int
		ok   bool
	}{
		{"VGA", "640", "480", 640 * 480, true},
		{"short body", "640", "480", 100, false},
		{"too many pixels", "1280", "720", 1280 * 720, false},
		{"too small", "8", "8", 64, false},
		{"negative", "-640", "-480", 0, false},
		{"not a number", "0x40", "64", 64 * 64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFrame(tt.w, tt.h, make([]byte, tt.n))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrFrame)) {
				t.Errorf("ParseFrame(%s, %s, %d bytes) = %v, want ok=%v", tt.w, tt.h, tt.n, err, tt.ok)
			}
		})
	}
}

// FuzzDecode: any frame is answered with a text or a typed error, never a
// panic or a hang.
func FuzzDecode(f *testing.F) {
	good := frameOf(f, "CSG1:seed", 96, 96, 4, 4)
	f.Add(96, 96, good.Y)
	f.Add(32, 32, make([]byte, 32*32))
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 64*64)
	for i := range noise {
		noise[i] = byte(r.UintN(2) * 255)
	}
	f.Add(64, 64, noise)
	f.Fuzz(func(t *testing.T, w, h int, y []byte) {
		fr, err := ParseFrame(strconv.Itoa(w), strconv.Itoa(h), y)
		if err != nil {
			return
		}
		if _, err := Decode(fr); err != nil && !errors.Is(err, ErrNoCode) && !errors.Is(err, ErrFrame) {
			t.Fatalf("Decode = %v, want a text or a typed error", err)
		}
	})
}

// BenchmarkDecode: the screen's cost per camera frame (640×480, the
// largest it takes), with a grant-sized code in it and with none (what
// most frames hold while the customer finds the phone).
func BenchmarkDecode(b *testing.B) {
	grant := "CSG1:" + strings.Repeat("AbCdEfGh0123-_", 24) // 341 characters, as a real grant code
	for _, bc := range []struct {
		name string
		f    *Frame
	}{
		{"code", frameOf(b, grant, 640, 480, 120, 40)},
		{"none", &Frame{W: 640, H: 480, Y: bytes.Repeat([]byte{0x80}, 640*480)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := Decode(bc.f); (err == nil) != (bc.name == "code") {
				b.Fatalf("Decode(%s) = %v", bc.name, err)
			}
			for b.Loop() {
				Decode(bc.f)
			}
		})
	}
}

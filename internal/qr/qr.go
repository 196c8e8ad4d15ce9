// Package qr draws QR codes (the encoding is github.com/yeqown/go-qrcode/v2)
// as PNG, as inline SVG for the kiosk's pages (no outside assets), and as
// text for a terminal.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// ErrEncode is returned for text a QR code cannot hold.
var ErrEncode = errors.New("qr: the text does not fit in a QR code")

// quiet is the blank margin around a code, in modules, that the QR
// standard asks for so a reader can find it.
const quiet = 4

// Code is an encoded QR code: a square of dark and light modules.
type Code struct {
	n    int
	dark []bool // row-major, n*n
}

// Encode encodes text in byte mode with error correction level M (15%):
// a phone screen or a printed receipt is clean, and M keeps the code
// small enough for a scanner at arm's length.
func Encode(text string) (*Code, error) {
	q, err := qrcode.NewWith(text, qrcode.WithEncodingMode(qrcode.EncModeByte),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	var m matrixWriter
	if err := q.Save(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	return m.code, nil
}

type matrixWriter struct{ code *Code }

func (w *matrixWriter) Write(mat qrcode.Matrix) error {
	n := mat.Width()
	c := &Code{n: n, dark: make([]bool, n*n)}
	mat.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		if x < n && y < n {
			c.dark[y*n+x] = v.IsSet()
		}
	})
	w.code = c
	return nil
}

func (w *matrixWriter) Close() error { return nil }

// Size is the code's width in modules, without the quiet zone.
func (c *Code) Size() int { return c.n }

// Dark reports whether the module at column x, row y is dark; outside the
// code (the quiet zone) it is light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.n || y >= c.n {
		return false
	}
	return c.dark[y*c.n+x]
}

// Image draws the code with scale pixels per module and the quiet zone.
func (c *Code) Image(scale int) *image.Gray {
	if scale < 1 {
		scale = 1
	}
	side := (c.n + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			v := color.Gray{Y: 0xff}
			if c.Dark(x/scale-quiet, y/scale-quiet) {
				v.Y = 0
			}
			img.SetGray(x, y, v)
		}
	}
	return img
}

// PNG draws the code with scale pixels per module and the quiet zone.
func (c *Code) PNG(scale int) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, c.Image(scale)); err != nil {
		return nil, fmt.Errorf("qr.PNG: %w", err)
	}
	return b.Bytes(), nil
}

// SVG is the code as an inline SVG element: one path of unit squares in a
// viewBox with the quiet zone, scaled by the page's CSS.
func (c *Code) SVG(label string) string {
	side := c.n + 2*quiet
	var p strings.Builder
	for y := range c.n {
		for x := range c.n {
			if c.Dark(x, y) {
				fmt.Fprintf(&p, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		side, side, escapeAttr(label), p.String())
}

func escapeAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", `'`, "&#39;").Replace(s)
}

// Terminal draws the code for a terminal with half-block characters, two
// rows of modules per line, dark on light whatever the terminal's colours
// (light is drawn, dark left as spaces would invert on a dark terminal, so
// both are drawn explicitly).
func (c *Code) Terminal() string {
	var b strings.Builder
	for y := -quiet; y < c.n+quiet; y += 2 {
		for x := -quiet; x < c.n+quiet; x++ {
			top, bottom := !c.Dark(x, y), !c.Dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

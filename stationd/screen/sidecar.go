package screen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"copystation/atomicfile"
)

// WriteDisplay writes a title's display sidecar and, if given, its poster
// (PNG or JPEG) next to its package in dir: what an issuer ships with a
// package, and what the demo writes.
func WriteDisplay(dir, titleID string, d Display, poster []byte) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("screen.WriteDisplay: %w", err)
	}
	if _, err := ParseDisplay(b); err != nil {
		return fmt.Errorf("screen.WriteDisplay: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, titleID+DisplayExt), b); err != nil {
		return err
	}
	if poster == nil {
		return nil
	}
	ext := ".poster.png"
	switch ct := detect(poster); ct {
	case "image/png":
	case "image/jpeg":
		ext = ".poster.jpg"
	default:
		return fmt.Errorf("screen.WriteDisplay: the poster is %s, want PNG or JPEG", ct)
	}
	if len(poster) > maxPoster {
		return fmt.Errorf("screen.WriteDisplay: the poster is %d bytes, at most %d", len(poster), maxPoster)
	}
	for _, old := range []string{".poster.png", ".poster.jpg"} {
		os.Remove(filepath.Join(dir, titleID+old))
	}
	return atomicfile.Write(filepath.Join(dir, titleID+ext), poster)
}

func detect(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	}
	return "unknown data"
}

// PlainPoster draws a simple poster (a two-colour gradient, 200x300) for
// demo titles that have no artwork.
func PlainPoster(from, to color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 200, 300))
	for y := range 300 {
		mix := func(a, b uint8) uint8 { return uint8((int(a)*(299-y) + int(b)*y) / 299) }
		c := color.RGBA{mix(from.R, to.R), mix(from.G, to.G), mix(from.B, to.B), 0xff}
		for x := range 200 {
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

package simstation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"

	"copystation/burn/titlepkg"
	"copystation/media/film"
	"copystation/validatord/contract"
)

// MakeFilmTitle is MakeTitle for a real film: it encodes the test film
// with ffmpeg (docs/film.md), authors it as a BDMV movie whose forensic
// segments are GOPs inside the m2ts, packages it into dir under keys dealt
// to the network's custody nodes and registers it with the deal. The film is returned for tracing.
func MakeFilmTitle(ctx context.Context, nw *Network, dir, id string) (*Title, *film.Film, error) {
	src := filepath.Join(dir, id+"-source")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(src)
	enc, err := film.Encode(ctx, src, film.DefaultOptions)
	if err != nil {
		return nil, nil, err
	}
	f, err := film.Author(enc, id)
	if err != nil {
		return nil, nil, err
	}
	// Dealt to the network's custody nodes, as MakeTitle does.
	t := contract.Title{ID: id, Name: "Demo film " + id, Formats: Formats}
	m, err := nw.Node.Issuer.PackageTitle(ctx, dir, t, titlepkg.Spec{Image: bytes.NewReader(f.Image), ImageSize: int64(len(f.Image)),
		Variants: f.Variants, ChunkSize: 1 << 20, Rand: rand.Reader})
	if err != nil {
		return nil, nil, fmt.Errorf("simstation: title %s: %w", id, err)
	}
	h := sha256.Sum256(f.Image)
	return &Title{ID: id, ImageSize: int64(len(f.Image)), image: f.Image, variants: f.Variants, DiscDigest: h[:],
		Manifest: m, Path: filepath.Join(dir, titlepkg.FileName(id))}, f, nil
}

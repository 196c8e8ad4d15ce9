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
// segments are GOPs inside the m2ts, packages it into dir under keys
// dealt to the network's custody nodes and registers it with the deal. The film is returned for tracing.
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
	var segs []contract.Segment
	for _, v := range f.Variants {
		segs = append(segs, contract.Segment{StartSector: uint32(v.Start), Sectors: uint32(len(v.B) / titlepkg.SectorSize)})
	}
	// Dealt as MakeTitle deals: the issuer deals the keys to the custody
	// nodes, packages under them and wipes them.
	cd, err := nw.Node.Issuer.CustodyDeal(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("simstation: deal title %s: %w", id, err)
	}
	d, err := cd.Deal(id, len(f.Variants))
	if err != nil {
		return nil, nil, fmt.Errorf("simstation: deal title %s: %w", id, err)
	}
	defer d.Keys.Wipe()
	tk := d.Keys.PackageKeys()
	defer tk.Wipe()
	m, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: id, Image: bytes.NewReader(f.Image), ImageSize: int64(len(f.Image)),
		Variants: f.Variants, Keys: tk, ShareRoots: d.Roots, ChunkSize: 1 << 20, Rand: rand.Reader})
	if err != nil {
		return nil, nil, err
	}
	t := contract.Title{ID: id, Name: "Demo film " + id, ContentHash: m.Root[:], Formats: Formats, Segments: segs}
	if err := nw.Node.Issuer.RegisterDealtTitle(ctx, t, d); err != nil {
		return nil, nil, fmt.Errorf("simstation: register title %s: %w", id, err)
	}
	h := sha256.Sum256(f.Image)
	return &Title{ID: id, ImageSize: int64(len(f.Image)), image: f.Image, variants: f.Variants, DiscDigest: h[:],
		Manifest: m, Path: filepath.Join(dir, titlepkg.FileName(id))}, f, nil
}

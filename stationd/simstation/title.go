package simstation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/bits"
	mrand "math/rand/v2"
	"os"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/validatord/contract"
)

// Title is a generated demo title: its image, package and ledger record.
type Title struct {
	ID        string
	ImageSize int64
	seed      uint64
	image     []byte // a film title's image; nil for a generated one
	variants  []titlepkg.Variant
	// DiscDigest is SHA-256 of the image with every segment in variant A.
	DiscDigest []byte
	Manifest   *titlepkg.Manifest
	Path       string
}

// Formats are the disc formats demo titles allow: a finalised BD-R and a
// BD-RE.
var Formats = []keys.FormatMetadata{
	{Profile: 0x41, Layers: 1, Finalize: true, MaxSpeedX: 16, HeaderSectors: 32},
	{Profile: 0x43, Layers: 1, Finalize: false, MaxSpeedX: 16, HeaderSectors: 32},
}

// segmentSectors is the size of each forensic segment (one ECC cluster).
const segmentSectors = 32

// MakeTitle generates a deterministic image of size bytes (a whole number
// of 64 KiB clusters) with two forensic segments, packages it into dir
// under keys dealt to the network's custody nodes, and registers it with
// the deal through the issuer.
func MakeTitle(ctx context.Context, nw *Network, dir, id string, size int64, seed uint64) (*Title, error) {
	const cluster = 64 << 10
	if size < 4*cluster || size%cluster != 0 {
		return nil, fmt.Errorf("simstation.MakeTitle: size %d is not a whole number (at least 4) of 64 KiB clusters", size)
	}
	sectors := uint64(size / titlepkg.SectorSize)
	var variants []titlepkg.Variant
	for _, at := range []uint64{sectors / 4, sectors / 2} {
		at -= at % segmentSectors
		b := make([]byte, segmentSectors*titlepkg.SectorSize)
		fill(b, seed^bits.RotateLeft64(at, 17))
		variants = append(variants, titlepkg.Variant{Start: at, B: b})
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	img := &imageReader{left: size, rng: mrand.NewChaCha8(seedBytes(seed))}
	h := sha256.New()
	// The issuer deals the title's keys to the network's custody nodes,
	// packages under them and wipes them: no one holds them whole after.
	t := contract.Title{ID: id, Name: "Demo film " + id, Formats: Formats}
	m, err := nw.Node.Issuer.PackageTitle(ctx, dir, t, titlepkg.Spec{Image: io.TeeReader(img, h), ImageSize: size,
		Variants: variants, ChunkSize: 1 << 20, Rand: rand.Reader})
	if err != nil {
		return nil, fmt.Errorf("simstation: title %s: %w", id, err)
	}
	p := dir + string(os.PathSeparator) + titlepkg.FileName(id)
	return &Title{ID: id, ImageSize: size, seed: seed, variants: variants, DiscDigest: h.Sum(nil), Manifest: m, Path: p}, nil
}

// Mint mints a token for a title to an owner key (SEC1 P-256).
func (nw *Network) Mint(ctx context.Context, token, title string, owner []byte) error {
	return nw.Node.Issuer.MintToken(ctx, token, title, owner)
}

func seedBytes(s uint64) (b [32]byte) {
	for i := range 4 {
		for j := range 8 {
			b[i*8+j] = byte(s >> (8 * j))
		}
		s = bits.RotateLeft64(s*0x9E3779B97F4A7C15+1, 13)
	}
	return b
}

func fill(b []byte, seed uint64) {
	r := mrand.NewChaCha8(seedBytes(seed))
	r.Read(b)
}

// imageReader yields size bytes of a seeded stream: a film stand-in that
// costs no disk.
type imageReader struct {
	left int64
	rng  *mrand.ChaCha8
}

func (r *imageReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	r.rng.Read(p)
	r.left -= int64(len(p))
	return len(p), nil
}

// CopyHash is SHA-256 of the image a copy with this codeword carries: the
// title's image with variant B in every segment whose codeword bit (most
// significant first) is set.
func (t *Title) CopyHash(codeword []byte) []byte {
	h := sha256.New()
	var img io.Reader = &imageReader{left: t.ImageSize, rng: mrand.NewChaCha8(seedBytes(t.seed))}
	if t.image != nil {
		img = bytes.NewReader(t.image)
	}
	buf := make([]byte, titlepkg.SectorSize)
	for sec := uint64(0); ; sec++ {
		if _, err := io.ReadFull(img, buf); err != nil {
			break
		}
		out := buf
		for i, v := range t.variants {
			n := uint64(len(v.B) / titlepkg.SectorSize)
			if sec >= v.Start && sec < v.Start+n && i/8 < len(codeword) && titlepkg.CodewordBit(codeword, i) == 1 {
				off := (sec - v.Start) * titlepkg.SectorSize
				out = v.B[off : off+titlepkg.SectorSize]
			}
		}
		h.Write(out)
	}
	return h.Sum(nil)
}

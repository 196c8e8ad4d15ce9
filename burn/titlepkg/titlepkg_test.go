package titlepkg

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// testSecret is a fixed title secret for tests.
var testSecret = bytes.Repeat([]byte{0x42}, KeySize)

// testKeys are a title's keys for n segments, as the issuer holds them:
// base key testSecret, and variant v of segment s the 32 bytes 0x50+v
// ending in u32(s), each distinct.
func testKeys(t testing.TB, n int) *Keys {
	t.Helper()
	k := &Keys{Base: bytes.Clone(testSecret), Variants: make([][2][]byte, n)}
	for s := range n {
		for v := range 2 {
			k.Variants[s][v] = binary.BigEndian.AppendUint32(bytes.Repeat([]byte{byte(0x50 + v)}, KeySize-4), uint32(s))
		}
	}
	return k
}

// seeded returns a deterministic reader for images and salts.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	seeded(seed).Read(b)
	return b
}

// build packages an image of n sectors with the given variants.
func build(t *testing.T, dir string, img []byte, vars []Variant, chunk int) (*Manifest, string) {
	t.Helper()
	m, err := Create(dir, Spec{TitleID: "film-1", Image: bytes.NewReader(img), ImageSize: int64(len(img)), Variants: vars, Keys: testKeys(t, len(vars)), ChunkSize: chunk, Rand: seeded(9)})
	if err != nil {
		t.Fatalf("Create() = %v, want nil", err)
	}
	return m, filepath.Join(dir, FileName("film-1"))
}

// stream reads and concatenates every chunk's plaintext.
func stream(t *testing.T, p *Package) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, p.ChunkBufSize())
	for i := uint64(0); i < p.Manifest().ChunkCount; i++ {
		plain, _, err := p.ReadChunk(i, buf)
		if err != nil {
			t.Fatalf("ReadChunk(%d) = %v, want nil", i, err)
		}
		out = append(out, plain...)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	img := randomBytes(1, 300*SectorSize)
	b1 := randomBytes(2, 3*SectorSize)
	b2 := randomBytes(3, 40*SectorSize)
	tests := []struct {
		name  string
		vars  []Variant
		chunk int
		want  []byte
	}{
		{"no segments", nil, MinChunkSize, img},
		{"two segments out of order", []Variant{{Start: 100, B: b2}, {Start: 5, B: b1}}, MinChunkSize,
			concat(img[:8*SectorSize], b1, img[8*SectorSize:140*SectorSize], b2, img[140*SectorSize:])},
		{"segment at the end, default chunk", []Variant{{Start: 297, B: b1}}, 0, concat(img, b1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, path := build(t, t.TempDir(), img, tc.vars, tc.chunk)
			p, err := Open(path, testKeys(t, len(tc.vars)))
			if err != nil {
				t.Fatalf("Open() = %v, want nil", err)
			}
			defer p.Close()
			if got := p.Manifest(); got.Root != m.Root || len(got.Segments) != len(tc.vars) {
				t.Errorf("Open().Manifest() = %+v, want %+v", got, m)
			}
			if err := p.Verify(context.Background(), 2, nil); err != nil {
				t.Errorf("Verify() = %v, want nil", err)
			}
			if got := stream(t, p); !bytes.Equal(got, tc.want) {
				t.Errorf("stream = %d bytes, want the %d-byte interleaved image", len(got), len(tc.want))
			}
		})
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestTamper(t *testing.T) {
	img := randomBytes(1, 100*SectorSize)
	dir := t.TempDir()
	// The base run before the segment is two chunks (32 and 8 sectors).
	m, path := build(t, dir, img, []Variant{{Start: 40, B: randomBytes(2, SectorSize)}}, MinChunkSize)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hdr := m.Size()
	csz := int(m.ChunkSize) + TagSize
	keys := testKeys(t, 1)
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		open   error // from Open
		verify error // from Verify
	}{
		{"bit flip in chunk 1", func(b []byte) []byte { b[hdr+csz+100] ^= 1; return b }, nil, ErrAuth},
		{"bit flip in last tag", func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, nil, ErrAuth},
		{"chunks 0 and 1 swapped", func(b []byte) []byte {
			c0 := bytes.Clone(b[hdr : hdr+csz])
			copy(b[hdr:], b[hdr+csz:hdr+2*csz])
			copy(b[hdr+csz:], c0)
			return b
		}, nil, ErrAuth},
		{"segment table edited", func(b []byte) []byte { b[hdr-2*32-5] ^= 1; return b }, ErrAuth, nil},
		{"image size edited", func(b []byte) []byte { b[17+6+7] ^= 0x08; return b }, ErrFormat, nil},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, ErrFormat, nil},
		{"root edited", func(b []byte) []byte { b[hdr-64] ^= 1; return b }, ErrAuth, nil},
		{"version 1", func(b []byte) []byte { b[9] = 1; return b }, ErrVersion, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(bytes.Clone(orig))
			p, err := OpenReader(bytes.NewReader(b), int64(len(b)), keys)
			if !errors.Is(err, tc.open) || (tc.open != nil) != (err != nil) {
				t.Fatalf("OpenReader() = %v, want %v", err, tc.open)
			}
			if err != nil {
				return
			}
			if err := p.Verify(context.Background(), 2, nil); !errors.Is(err, tc.verify) {
				t.Errorf("Verify() = %v, want %v", err, tc.verify)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		wrong := testKeys(t, 1)
		wrong.Base = bytes.Repeat([]byte{1}, KeySize)
		if _, err := OpenReader(bytes.NewReader(orig), int64(len(orig)), wrong); !errors.Is(err, ErrAuth) {
			t.Errorf("OpenReader(wrong key) = %v, want %v", err, ErrAuth)
		}
	})
}

func TestChunkFromOtherPackage(t *testing.T) {
	img := randomBytes(1, 64*SectorSize)
	m, a := build(t, t.TempDir(), img, nil, MinChunkSize)
	_, b := build(t, t.TempDir(), img, []Variant{{Start: 1, B: randomBytes(4, SectorSize)}}, MinChunkSize)
	pa, _ := os.ReadFile(a)
	pb, _ := os.ReadFile(b)
	// Same title, image and key, different package: its chunk 0 must not
	// open in the first package.
	hdr := m.Size()
	copy(pa[hdr:hdr+int(m.ChunkSize)+TagSize], pb[len(pb)-(int(m.ChunkSize)+TagSize):])
	p, err := OpenReader(bytes.NewReader(pa), int64(len(pa)), testKeys(t, 0))
	if err != nil {
		t.Fatalf("OpenReader() = %v, want nil", err)
	}
	var ce *ChunkError
	_, _, err = p.ReadChunk(0, make([]byte, p.ChunkBufSize()))
	if !errors.Is(err, ErrAuth) || !errors.As(err, &ce) || ce.Index != 0 {
		t.Errorf("ReadChunk(0) = %v, want ChunkError{0, ErrAuth}", err)
	}
}

func TestCreateRejects(t *testing.T) {
	img := randomBytes(1, 16*SectorSize)
	tests := []struct {
		name string
		spec Spec
	}{
		{"short image", Spec{TitleID: "t", Image: bytes.NewReader(img[:100]), ImageSize: int64(len(img))}},
		{"long image", Spec{TitleID: "t", Image: bytes.NewReader(img), ImageSize: int64(len(img) - SectorSize)}},
		{"partial sector", Spec{TitleID: "t", Image: bytes.NewReader(img), ImageSize: 1000}},
		{"bad title", Spec{TitleID: "../x", Image: bytes.NewReader(img), ImageSize: int64(len(img))}},
		{"overlapping variants", Spec{TitleID: "t", Image: bytes.NewReader(img), ImageSize: int64(len(img)),
			Variants: []Variant{{Start: 1, B: make([]byte, 2*SectorSize)}, {Start: 2, B: make([]byte, SectorSize)}}}},
		{"variant past the end", Spec{TitleID: "t", Image: bytes.NewReader(img), ImageSize: int64(len(img)),
			Variants: []Variant{{Start: 15, B: make([]byte, 2*SectorSize)}}}},
		{"short key", Spec{TitleID: "t", Image: bytes.NewReader(img), ImageSize: int64(len(img)), Keys: &Keys{Base: testSecret[:16]}}},
		{"variant keys missing", Spec{TitleID: "t", Image: bytes.NewReader(img), ImageSize: int64(len(img)),
			Variants: []Variant{{Start: 1, B: make([]byte, SectorSize)}}, Keys: &Keys{Base: testSecret}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.spec.Keys == nil {
				tc.spec.Keys = testKeys(t, len(tc.spec.Variants))
			}
			tc.spec.Rand = seeded(1)
			if _, err := Create(dir, tc.spec); !errors.Is(err, ErrSpec) {
				t.Errorf("Create() = %v, want %v", err, ErrSpec)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("Create() left %d files behind, want none", len(ents))
			}
		})
	}
}

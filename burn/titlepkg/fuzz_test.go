package titlepkg

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseManifest feeds arbitrary bytes to the manifest parser: it must
// answer with a manifest that re-encodes to the same bytes, or an error.
func FuzzParseManifest(f *testing.F) {
	dir := f.TempDir()
	m, _ := seedPackage(f, dir)
	f.Add(m.Marshal())
	f.Add([]byte(magic))
	dealt := *m // a manifest with share roots (flag bit 0)
	dealt.ShareRoots = [][32]byte{{1}, {2}, {3}, {4}}
	f.Add(dealt.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		if got := m.Marshal(); !bytes.Equal(got, b) {
			t.Errorf("ParseManifest(b).Marshal() = %x, want %x", got, b)
		}
	})
}

// FuzzOpen feeds arbitrary package files to the reader with the right key:
// every chunk must either authenticate or fail with an error, never panic
// or release plaintext that was not sealed.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	_, path := seedPackage(f, dir)
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := OpenReader(bytes.NewReader(b), int64(len(b)), testKeys(t, 1))
		if err != nil {
			return
		}
		buf := make([]byte, p.ChunkBufSize())
		for i := uint64(0); i < p.Manifest().ChunkCount && i < 4; i++ {
			p.ReadChunk(i, buf)
		}
		p.Verify(context.Background(), 1, nil)
	})
}

// seedPackage makes a small package with one segment.
func seedPackage(f *testing.F, dir string) (*Manifest, string) {
	img := randomBytes(1, 4*SectorSize)
	m, err := Create(dir, Spec{TitleID: "seed", Image: bytes.NewReader(img), ImageSize: int64(len(img)),
		Variants: []Variant{{Start: 1, B: randomBytes(2, SectorSize)}}, Keys: testKeys(f, 1), ChunkSize: MinChunkSize, Rand: seeded(3)})
	if err != nil {
		f.Fatal(err)
	}
	return m, filepath.Join(dir, FileName("seed"))
}

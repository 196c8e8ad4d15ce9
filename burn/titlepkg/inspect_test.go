package titlepkg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestInspect: without the key, a sound package passes; a missing file, a
// short file, another title, and a stored chunk tag changed all fail.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	img := randomBytes(1, 40*SectorSize)
	m, err := Create(dir, Spec{TitleID: "film", Image: bytes.NewReader(img), ImageSize: int64(len(img)), Keys: testKeys(t, 0), ChunkSize: MinChunkSize, Rand: seeded(3)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName("film"))
	good, _ := os.ReadFile(path)
	tag := append([]byte(nil), good...)
	tag[m.Size()+int(m.ChunkSize)] ^= 1
	tests := []struct {
		name  string
		title string
		file  []byte // nil: no file
		want  error
	}{
		{"sound", "film", good, nil},
		{"missing", "film", nil, os.ErrNotExist},
		{"short", "film", good[:len(good)-1], ErrFormat},
		{"another title", "other", good, ErrFormat},
		{"chunk tag changed", "film", tag, ErrAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "p.ctp")
			if tc.file != nil {
				os.WriteFile(p, tc.file, 0o600)
			}
			got, err := Inspect(p, tc.title)
			if tc.want == nil && (err != nil || got.Root != m.Root) {
				t.Fatalf("Inspect() = %v, want the manifest", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Inspect() = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzInspect feeds arbitrary package files to the keyless check: an
// answer or an error, never a panic.
func FuzzInspect(f *testing.F) {
	_, path := seedPackage(f, f.TempDir())
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		InspectReader(bytes.NewReader(b), int64(len(b)), "seed")
	})
}

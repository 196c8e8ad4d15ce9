package titles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/burn/titlepkg"
)

// makePackage writes a package of a small title in a directory of its own
// and returns its path and manifest.
func makePackage(t *testing.T, id string) (string, *titlepkg.Manifest) {
	t.Helper()
	img := make([]byte, 300*titlepkg.SectorSize)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(img)
	k := &titlepkg.Keys{Base: bytes.Repeat([]byte{4}, titlepkg.KeySize),
		Variants: [][2][]byte{{bytes.Repeat([]byte{5}, titlepkg.KeySize), bytes.Repeat([]byte{6}, titlepkg.KeySize)}}}
	b := make([]byte, 8*titlepkg.SectorSize)
	rng.Read(b)
	dir := t.TempDir()
	m, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: id, Image: bytes.NewReader(img), ImageSize: int64(len(img)),
		Variants: []titlepkg.Variant{{Start: 40, B: b}}, Keys: k, ChunkSize: titlepkg.MinChunkSize, Rand: rand.NewChaCha8([32]byte{2})})
	if err != nil {
		t.Fatalf("titlepkg.Create() = %v", err)
	}
	return filepath.Join(dir, titlepkg.FileName(id)), m
}

func newStore(t *testing.T) *Store {
	state := t.TempDir()
	return &Store{TitlesDir: filepath.Join(state, "titles"), RecordsDir: filepath.Join(state, "installed"),
		Now: func() time.Time { return time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) }}
}

func TestAddListRemove(t *testing.T) {
	src, m := makePackage(t, "film-1")
	s := newStore(t)
	r, err := s.Add(context.Background(), src, AddOptions{ContentHash: m.Root[:]})
	if err != nil {
		t.Fatalf("Add() = %v", err)
	}
	whole, _ := os.ReadFile(src)
	sum := sha256.Sum256(whole)
	if r.TitleID != "film-1" || r.SHA256 != hex.EncodeToString(sum[:]) || r.Root != hex.EncodeToString(m.Root[:]) || r.Size != int64(len(whole)) || r.Chunks != m.ChunkCount {
		t.Errorf("Add() = %+v, want title film-1, the file's SHA-256, root and size", r)
	}
	inst, _ := os.ReadFile(filepath.Join(s.TitlesDir, "film-1"+titlepkg.Ext))
	if !bytes.Equal(inst, whole) {
		t.Errorf("installed package differs from the source")
	}
	if _, err := s.Check("film-1"); err != nil {
		t.Errorf("Check(just installed) = %v", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0] != *r {
		t.Errorf("List() = %+v, %v; want the one record", list, err)
	}
	// Installing the installed file again hashes it in place.
	if _, err := s.Add(context.Background(), filepath.Join(s.TitlesDir, "film-1"+titlepkg.Ext), AddOptions{}); err != nil {
		t.Errorf("Add(installed path) = %v", err)
	}
	if err := s.Remove("film-1"); err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.TitlesDir, "film-1"+titlepkg.Ext)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("package still there after Remove: %v", err)
	}
	if _, err := s.Check("film-1"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Check(removed) = %v, want %v", err, ErrNotInstalled)
	}
	if err := s.Remove("film-1"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Remove(removed) = %v, want %v", err, ErrNotInstalled)
	}
}

func TestAddRefuses(t *testing.T) {
	src, m := makePackage(t, "film-1")
	tests := []struct {
		name  string
		src   func(t *testing.T) string
		opts  AddOptions
		wants error
	}{
		{"another title's content hash", func(*testing.T) string { return src }, AddOptions{ContentHash: make([]byte, 32)}, ErrPackage},
		{"a tag altered", func(t *testing.T) string {
			return alteredCopy(t, src, int64(m.Size())+titlepkg.MinChunkSize+3) // chunk 0's tag
		}, AddOptions{}, titlepkg.ErrAuth},
		{"truncated", func(t *testing.T) string {
			b, _ := os.ReadFile(src)
			p := filepath.Join(t.TempDir(), "t.ctp")
			os.WriteFile(p, b[:len(b)-1], 0o600)
			return p
		}, AddOptions{}, titlepkg.ErrFormat},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.ctp") }, AddOptions{}, os.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if _, err := s.Add(context.Background(), tc.src(t), tc.opts); !errors.Is(err, tc.wants) || !errors.Is(err, ErrPackage) {
				t.Fatalf("Add() = %v, want %v and %v", err, ErrPackage, tc.wants)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("List() after a refused Add = %+v, want nothing", list)
			}
		})
	}
}

// alteredCopy copies the file at path with one byte flipped at off.
func alteredCopy(t *testing.T, path string, off int64) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 1
	p := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckSeesChange: every way of changing an installed package that a
// stat call can see makes Check refuse it before a spend.
func TestCheckSeesChange(t *testing.T) {
	src, m := makePackage(t, "film-1")
	tests := []struct {
		name   string
		change func(t *testing.T, path string)
	}{
		{"a byte rewritten, times put back", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte{0xFF}, int64(m.Size())+100)
			f.Close()
			// mtime restored as `touch -r` would: ctime still moves.
			if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced by another file", func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			tmp := path + ".new"
			os.WriteFile(tmp, b, 0o600)
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"extended", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte{0})
			f.Close()
		}},
		{"deleted", func(t *testing.T, path string) { os.Remove(path) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if _, err := s.Add(context.Background(), src, AddOptions{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond) // a later change time than the install's, on coarse clocks
			tc.change(t, filepath.Join(s.TitlesDir, "film-1"+titlepkg.Ext))
			if _, err := s.Check("film-1"); !errors.Is(err, ErrChanged) {
				t.Errorf("Check(%s) = %v, want %v", tc.name, err, ErrChanged)
			}
		})
	}
}

func TestMarkFailed(t *testing.T) {
	src, _ := makePackage(t, "film-1")
	s := newStore(t)
	if _, err := s.Add(context.Background(), src, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed("film-1", "job j-1: chunk 3 failed authentication"); err != nil {
		t.Fatalf("MarkFailed() = %v", err)
	}
	if _, err := s.Check("film-1"); !errors.Is(err, ErrChanged) {
		t.Errorf("Check(after a failed burn) = %v, want %v", err, ErrChanged)
	}
	if _, err := s.Add(context.Background(), src, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check("film-1"); err != nil {
		t.Errorf("Check(installed again) = %v", err)
	}
}

func FuzzParseRecord(f *testing.F) {
	r := Record{Version: 1, TitleID: "film-1", File: "film-1" + titlepkg.Ext, Size: 9, SHA256: hex.EncodeToString(make([]byte, 32)),
		Root: hex.EncodeToString(make([]byte, 32)), Chunks: 1, InstalledAt: time.Unix(0, 0).UTC()}
	f.Add(r.Marshal())
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b)
		if err != nil {
			return
		}
		if _, err := ParseRecord(r.Marshal()); err != nil {
			t.Errorf("ParseRecord(Marshal(%+v)) = %v", r, err)
		}
	})
}

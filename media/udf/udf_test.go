package udf

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"

	"copystation/internal/testenv"
)

func blank(t testing.TB) *Tree {
	t.Helper()
	if _, err := exec.LookPath("mkudffs"); err != nil {
		testenv.Require(t, "udftools (mkudffs) not installed: apt-get install udftools")
	}
	u, err := Blank("TEST", 2048)
	if err != nil {
		t.Fatalf("Blank() = %v", err)
	}
	return u
}

// TestReadBack: every file Add writes reads back by path, from the blocks
// Where names, and a missing path is ErrNotFound.
func TestReadBack(t *testing.T) {
	u := blank(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // several blocks, not a whole number
	files := []File{{Path: "BDMV"}, {Path: "BDMV/index.bdmv", Data: []byte("INDX0200")},
		{Path: "BDMV/STREAM"}, {Path: "BDMV/STREAM/00000.m2ts", Data: big}}
	if err := u.Add(files); err != nil {
		t.Fatalf("Add() = %v", err)
	}
	for _, f := range files {
		if f.Data == nil {
			continue
		}
		got, err := ReadFile(u.Image(), f.Path)
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Fatalf("ReadFile(%s) = %d bytes, %v; want %d bytes", f.Path, len(got), err, len(f.Data))
		}
		s, ok := u.Where(f.Path)
		if !ok || !bytes.Equal(u.Image()[s*2048:s*2048+len(f.Data)], f.Data) {
			t.Fatalf("Where(%s) = %d, %v: not where the data is", f.Path, s, ok)
		}
	}
	if _, err := ReadFile(u.Image(), "BDMV/PLAYLIST/00000.mpls"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile(missing) = %v, want ErrNotFound", err)
	}
	if _, err := ReadFile(make([]byte, 600*2048), "BDMV/index.bdmv"); !errors.Is(err, ErrImage) {
		t.Errorf("ReadFile(zeros) = %v, want ErrImage", err)
	}
}

// FuzzReadFile patches a valid image (a whole image is too large an input
// for the fuzzer to mutate usefully) at descriptor-dense places and reads
// a file back: an error or the data, never a panic.
func FuzzReadFile(f *testing.F) {
	u := blank(f)
	if err := u.Add([]File{{Path: "A"}, {Path: "A/b", Data: []byte("hello")}}); err != nil {
		f.Fatal(err)
	}
	img := u.Image()
	blocks := uint32(len(img) / udfBlock)
	f.Add(uint32(0), uint16(0), []byte{})
	f.Add(blocks-1, uint16(216), []byte{0xFF, 0xFF, 0xFF, 0xFF})
	f.Add(uint32(u.part), uint16(400), []byte{9, 9, 9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, blk uint32, off uint16, patch []byte) {
		b := bytes.Clone(img)
		at := int(blk%blocks)*udfBlock + int(off%udfBlock)
		copy(b[at:], patch)
		if _, err := ReadFile(b, "A/b"); err != nil && !errors.Is(err, ErrImage) {
			t.Fatalf("ReadFile() = %v, want nil or ErrImage", err)
		}
	})
}

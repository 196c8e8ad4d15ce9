package titlepkg

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestVariantKeys: the keys a copy is given (Select) open the base image
// and exactly the variant its codeword names in every segment. The other
// variant's chunks are not openable: without its key they are ErrNoKey,
// and tried under the one key the copy holds for that segment they fail
// authentication.
func TestVariantKeys(t *testing.T) {
	img := randomBytes(1, 300*SectorSize)
	vars := []Variant{
		{Start: 5, B: randomBytes(2, 3*SectorSize)},
		{Start: 40, B: randomBytes(3, 40*SectorSize)}, // spans two chunks
		{Start: 299, B: randomBytes(4, SectorSize)},
	}
	_, path := build(t, t.TempDir(), img, vars, MinChunkSize)
	all := testKeys(t, len(vars))
	codeword := []byte{0b101_00000}
	given, err := all.Select(codeword)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(path, given)
	if err != nil {
		t.Fatalf("Open(selected keys) = %v", err)
	}
	defer p.Close()
	if err := p.Verify(context.Background(), 2, nil); err != nil {
		t.Fatalf("Verify(selected keys) = %v, want nil", err)
	}
	// The other variant's slot filled with the key the copy does hold.
	swapped := &Keys{Base: given.Base, Variants: make([][2][]byte, len(vars))}
	for s := range vars {
		b := CodewordBit(codeword, s)
		swapped.Variants[s][1-b] = given.Variants[s][b]
	}
	q, err := Open(path, swapped)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	buf := make([]byte, p.ChunkBufSize())
	var opened, refused int
	for i := range p.Manifest().ChunkCount {
		r := p.Region(i)
		_, _, err := p.ReadChunk(i, buf)
		if r == BaseRegion {
			if err != nil {
				t.Fatalf("ReadChunk(%d, base) = %v", i, err)
			}
			continue
		}
		s, v := r.Segment()
		if v == CodewordBit(codeword, s) {
			if err != nil {
				t.Fatalf("ReadChunk(%d, segment %d selected variant %d) = %v", i, s, v, err)
			}
			opened++
			continue
		}
		if !errors.Is(err, ErrNoKey) {
			t.Fatalf("ReadChunk(%d, segment %d other variant %d) = %v, want ErrNoKey", i, s, v, err)
		}
		if _, _, err := q.ReadChunk(i, buf); !errors.Is(err, ErrAuth) {
			t.Fatalf("ReadChunk(%d, segment %d other variant under the released key) = %v, want ErrAuth", i, s, err)
		}
		refused++
	}
	if opened != 4 || refused != 4 {
		t.Errorf("opened %d selected-variant chunks and refused %d others, want 4 and 4", opened, refused)
	}
}

func TestSelectNeedsCodeword(t *testing.T) {
	k := testKeys(t, 9)
	if _, err := k.Select([]byte{0}); !errors.Is(err, ErrSpec) {
		t.Errorf("Select(8-bit codeword, 9 segments) = %v, want ErrSpec", err)
	}
	sel, err := k.Select([]byte{0xff, 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sel.Select([]byte{0, 0}); !errors.Is(err, ErrNoKey) {
		t.Errorf("Select of a copy's keys with another codeword = %v, want ErrNoKey", err)
	}
	if !bytes.Equal(sel.Variants[0][1], k.Variants[0][1]) || sel.Variants[0][0] != nil {
		t.Errorf("Select kept the wrong variant of segment 0")
	}
}

// TestShareRootsRoundTrip: a manifest with share roots encodes them under
// flag bit 0 and parses back the same; a count that disagrees with the
// length, or a flag the format does not know, is ErrFormat.
func TestShareRootsRoundTrip(t *testing.T) {
	img := randomBytes(1, 20*SectorSize)
	roots := [][32]byte{{1}, {2}, {3}}
	m, err := Create(t.TempDir(), Spec{TitleID: "dealt", Image: bytes.NewReader(img), ImageSize: int64(len(img)),
		Variants: []Variant{{Start: 3, B: randomBytes(2, SectorSize)}}, Keys: testKeys(t, 1), ShareRoots: roots, Rand: seeded(4)})
	if err != nil {
		t.Fatal(err)
	}
	enc := m.Marshal()
	got, err := ParseManifest(enc)
	if err != nil || len(got.ShareRoots) != 3 || got.ShareRoots[2] != roots[2] {
		t.Fatalf("ParseManifest(with roots) = %v, %v; want the 3 roots", got, err)
	}
	if enc[11] != FlagShareRoots {
		t.Errorf("flags = %#x, want %#x", enc[11], FlagShareRoots)
	}
	cnt := m.Size() - trailerSize - 3*32 - 2
	for name, edit := range map[string]func([]byte){
		"count too high": func(b []byte) { b[cnt+1] = 4 },
		"count zero":     func(b []byte) { b[cnt+1] = 0 },
		"unknown flag":   func(b []byte) { b[11] |= 2 },
		"flag cleared":   func(b []byte) { b[11] = 0 },
	} {
		b := bytes.Clone(enc)
		edit(b)
		if _, err := ParseManifest(b); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseManifest(%s) = %v, want ErrFormat", name, err)
		}
	}
}

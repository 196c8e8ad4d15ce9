package titlepkg_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/internal/docexample"
)

// The worked example in docs/title-package.md is generated here from the
// real packager with fixed inputs and checked by an independent reading
// built from the standard library and the doc alone.

var update = flag.Bool("update", false, "rewrite the examples in docs/title-package.md")

const (
	docPath = "../../docs/title-package.md"
)

func seq(first byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

func hkdfKey(t *testing.T, secret, salt []byte, info string) []byte {
	t.Helper()
	k, err := hkdf.Key(sha256.New, secret, salt, info, 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDocExamples checks the example in docs/title-package.md against the
// code (run with -update to rewrite it).
func TestDocExamples(t *testing.T) {
	docexample.Check(t, docPath, "go test ./burn/titlepkg -run TestDocExamples -update", example(t), *update)
}

// example packages an 80-sector image with two forensic segments in 64 KiB
// chunks and describes the file.
func example(t *testing.T) string {
	const sectors = 80
	salt := seq(0x90, 32)
	image := bytes.Repeat([]byte{0xAA}, sectors*titlepkg.SectorSize)
	segs := []titlepkg.Variant{
		{Start: 8, B: bytes.Repeat([]byte{0xBB}, 4*titlepkg.SectorSize)},
		{Start: 60, B: bytes.Repeat([]byte{0xCC}, 2*titlepkg.SectorSize)},
	}
	// The issuer's keys, given as custody.Deal would hand them over.
	keys := &titlepkg.Keys{Base: seq(0x40, 32), Variants: [][2][]byte{{seq(0x60, 32), seq(0x80, 32)}, {seq(0xA0, 32), seq(0xC0, 32)}}}
	dir := t.TempDir()
	m, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "film-1", Image: bytes.NewReader(image), ImageSize: int64(len(image)),
		Variants: segs, Keys: keys, ChunkSize: titlepkg.MinChunkSize, Rand: bytes.NewReader(salt)})
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, "film-1.ctp"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := titlepkg.Open(filepath.Join(dir, "film-1.ctp"), keys)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	enc := m.Marshal()
	L, n, segN := len(enc), len(m.TitleID), len(m.Segments)
	if !bytes.Equal(file[:L], enc) || int64(len(file)) != m.FileSize() {
		t.Fatalf("the file does not start with the manifest, or is %d bytes, want %d", len(file), m.FileSize())
	}
	// Independent checks: the MAC, and every chunk opened as the doc says.
	macKey := hkdfKey(t, keys.Base, salt, "copystation title package v2 manifest mac key")
	h := hmac.New(sha256.New, macKey)
	h.Write(enc[:L-32])
	if !hmac.Equal(h.Sum(nil), enc[L-32:]) {
		t.Fatalf("manifest MAC is not HMAC-SHA256(mac key, bytes 0 .. %d)", L-33)
	}
	hh := sha256.Sum256(enc[:77+n+12*segN])
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nTitle `film-1`: an image of %d sectors (%d bytes, every byte `aa`), segments at sectors 8 (4 sectors) and 60 (2 sectors) whose B variants are bytes `bb` and `cc`, chunk size 64 KiB, keys K_0 `%x`, K_{0,A} `%x`, K_{0,B} `%x`, K_{1,A} `%x`, K_{1,B} `%x`, salt `%x`. The file is %d bytes: the manifest (%d bytes), then %d chunks.\n\n",
		sectors, len(image), keys.Base, keys.Variants[0][0], keys.Variants[0][1], keys.Variants[1][0], keys.Variants[1][1], salt, len(file), L, m.ChunkCount)
	fmt.Fprintf(&sb, "### Manifest\n\n```\n%s```\n\n| offset | size | field | value |\n| --- | --- | --- | --- |\n", docexample.HexDump(enc))
	row := func(off, size int, name string) {
		fmt.Fprintf(&sb, "| %d | %d | %s | `%x` |\n", off, size, name, enc[off:off+size])
	}
	for _, f := range []struct {
		off, size int
		name      string
	}{{0, 8, "magic"}, {8, 2, "version"}, {10, 2, "flags"}, {12, 4, "manifest length L"}, {16, 1, "title ID length"}, {17, n, "title ID"},
		{17 + n, 8, "image size"}, {25 + n, 4, "sector size"}, {29 + n, 4, "chunk size"}, {33 + n, 8, "chunk count N"}, {41 + n, 32, "salt"}, {73 + n, 4, "segment count"}} {
		row(f.off, f.size, f.name)
	}
	for i := range segN {
		row(77+n+12*i, 8, fmt.Sprintf("segment %d start sector", i))
		row(85+n+12*i, 4, fmt.Sprintf("segment %d sectors", i))
	}
	row(77+n+12*segN, 32, "integrity root")
	row(109+n+12*segN, 32, "manifest MAC")
	fmt.Fprintf(&sb, "\nHeader hash (SHA-256 of bytes 0 to %d, every chunk's AAD): `%x`. MAC key: `%x`.\n", 76+n+12*segN, hh, macKey)
	sb.WriteString("\n### Chunks\n\n| chunk | region | key | stream offset | plaintext bytes | file offset | nonce |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	var tags []byte
	var streamOff int64
	buf := make([]byte, p.ChunkBufSize())
	for i := range m.ChunkCount {
		r := p.Region(i)
		key, name := keys.Base, "K_0"
		if r != titlepkg.BaseRegion {
			s, v := r.Segment()
			key, name = keys.Variants[s][v], fmt.Sprintf("K_{%d,%c}", s, 'A'+v)
		}
		off, ln := p.ChunkOffset(i), p.ChunkLen(i)
		if off != int64(L)+streamOff+16*int64(i) {
			t.Fatalf("chunk %d at file offset %d, the doc's formula gives %d", i, off, int64(L)+streamOff+16*int64(i))
		}
		nonce := binary.BigEndian.AppendUint64(nil, i)
		nonce = append(nonce, 0, 0, 0, 0)
		if i == m.ChunkCount-1 {
			nonce[11] = 1
		}
		b, _ := aes.NewCipher(hkdfKey(t, key, salt, "copystation title package v2 chunk key"))
		g, _ := cipher.NewGCM(b)
		ct := file[off : off+ln+16]
		pt, err := g.Open(nil, nonce, ct, hh[:])
		if got, _, rerr := p.ReadChunk(i, buf); err != nil || rerr != nil || !bytes.Equal(pt, got) {
			t.Fatalf("chunk %d does not open as documented: %v, ReadChunk: %v", i, err, rerr)
		}
		tags = append(tags, ct[ln:]...)
		fmt.Fprintf(&sb, "| %d | %d | %s | %d | %d | %d | `%x` |\n", i, r, name, streamOff, ln, off, nonce)
		streamOff += ln
	}
	if root := sha256.Sum256(tags); root != m.Root {
		t.Fatalf("integrity root %x, SHA-256 of the tags %x", m.Root, root)
	}
	fmt.Fprintf(&sb, "\nStream size S = %d = image + 6 sectors of B variants; file size L + S + 16·N = %d + %d + %d = %d. The runs: base sectors 0-7, segment 0 A then B, base 12-59 (48 sectors: a full 32-sector chunk and a 16-sector one), segment 1 A then B, base 62-79.\n",
		streamOff, L, streamOff, 16*m.ChunkCount, len(file))
	return sb.String()
}

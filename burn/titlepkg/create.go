package titlepkg

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Ext is the file name extension of a title package.
const Ext = ".ctp"

// FileName is the name Create gives the package of a title.
func FileName(titleID string) string { return titleID + Ext }

// Variant is the second (B) variant of one forensic segment.
type Variant struct {
	// Start is the segment's first sector in the image.
	Start uint64
	// B holds the variant's sectors: a whole number of sectors, at most
	// MaxSegmentSectors, replacing the image's sectors from Start on.
	B []byte
}

// Spec is what Create packages.
type Spec struct {
	// TitleID names the title (1 to 64 of A-Z a-z 0-9 . _ -).
	TitleID string
	// Image is read once, sequentially, for exactly ImageSize bytes.
	Image     io.Reader
	ImageSize int64
	// Variants are the B variants of the forensic segments, in any order;
	// segment i of the manifest is the i-th by start sector.
	Variants []Variant
	// Keys are the title's keys: the base key and both variants' keys of
	// every segment (the keys the issuer deals: custody.TitleKeys.PackageKeys).
	Keys *Keys
	// ShareRoots are the roots of the issuer's deal (custody.Dealt.Roots),
	// recorded in the manifest under its MAC; nil for a title not dealt.
	ShareRoots [][32]byte
	// ChunkSize is the chunk plaintext size; 0 means DefaultChunkSize.
	ChunkSize int
	// Rand supplies the package salt (crypto/rand.Reader in production).
	Rand io.Reader
}

// Create writes the title package of s to dir/FileName(s.TitleID)
// atomically: into a temporary file in dir, synced, then renamed, so the
// path holds either nothing or a whole package. It returns the manifest.
func Create(dir string, s Spec) (*Manifest, error) {
	m, vars, err := plan(s)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Create: %w", err)
	}
	final := filepath.Join(dir, FileName(s.TitleID))
	f, err := os.CreateTemp(dir, "."+s.TitleID+"-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Create: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f, m, vars, s); err != nil {
		return nil, fmt.Errorf("titlepkg.Create: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("titlepkg.Create: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("titlepkg.Create: %w", err)
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return nil, fmt.Errorf("titlepkg.Create: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return m, nil
}

// plan checks the spec and builds the manifest without root and MAC.
func plan(s Spec) (*Manifest, [][]byte, error) {
	if s.Image == nil || s.Rand == nil {
		return nil, nil, fmt.Errorf("%w: Image and Rand are required", ErrSpec)
	}
	if s.ChunkSize == 0 {
		s.ChunkSize = DefaultChunkSize
	}
	m := &Manifest{Version: Version, TitleID: s.TitleID, ImageSize: s.ImageSize, SectorSize: SectorSize, ChunkSize: uint32(s.ChunkSize),
		ShareRoots: slices.Clone(s.ShareRoots)}
	if s.ChunkSize < 0 || s.ChunkSize > MaxChunkSize {
		m.ChunkSize = 0 // rejected by check
	}
	order := make([]Variant, len(s.Variants))
	copy(order, s.Variants)
	sortVariants(order)
	vars := make([][]byte, len(order))
	for i, v := range order {
		if len(v.B) == 0 || len(v.B)%SectorSize != 0 || len(v.B)/SectorSize > MaxSegmentSectors {
			return nil, nil, fmt.Errorf("%w: variant at sector %d is %d bytes, want 1 to %d whole sectors", ErrSpec, v.Start, len(v.B), MaxSegmentSectors)
		}
		m.Segments = append(m.Segments, Segment{Start: v.Start, Sectors: uint32(len(v.B) / SectorSize)})
		vars[i] = v.B
	}
	m.ChunkCount = m.chunkCount()
	if err := m.check(); err != nil {
		return nil, nil, errors.Join(ErrSpec, err)
	}
	if s.Keys == nil || len(s.Keys.Variants) != len(m.Segments) {
		return nil, nil, fmt.Errorf("%w: keys for every segment's two variants are required", ErrSpec)
	}
	for i, v := range s.Keys.Variants {
		if len(v[0]) != KeySize || len(v[1]) != KeySize {
			return nil, nil, fmt.Errorf("%w: segment %d lacks a %d-byte key for a variant", ErrSpec, i, KeySize)
		}
	}
	if _, err := io.ReadFull(s.Rand, m.Salt[:]); err != nil {
		return nil, nil, fmt.Errorf("reading the salt: %w", err)
	}
	return m, vars, nil
}

func sortVariants(v []Variant) {
	slices.SortStableFunc(v, func(a, b Variant) int { return cmp.Compare(a.Start, b.Start) })
}

// write streams the image and variants through the chunk sealer into f,
// then writes the finished manifest at offset 0.
func write(f *os.File, m *Manifest, vars [][]byte, s Spec) error {
	sl, err := newSealer(s.Keys, m)
	if err != nil {
		return err
	}
	defer sl.wipe()
	enc := m.Marshal()
	sl.aad = headerHash(enc)
	if _, err := f.Write(enc); err != nil { // placeholder; rewritten below
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	src := io.MultiReader(streamReaders(m, vars, io.LimitReader(s.Image, s.ImageSize))...)
	buf := make([]byte, int(m.ChunkSize)+TagSize)
	root := sha256.New()
	for i, c := range m.layout() {
		n := c.n
		if _, err := io.ReadFull(src, buf[:n]); err != nil {
			return fmt.Errorf("%w: image shorter than %d bytes: %v", ErrSpec, s.ImageSize, err)
		}
		ct := sl.regions[c.region].Seal(buf[:0], sl.nonce(uint64(i)), buf[:n], sl.aad[:])
		root.Write(ct[len(ct)-TagSize:])
		if _, err := bw.Write(ct); err != nil {
			return err
		}
	}
	var extra [1]byte
	if n, _ := s.Image.Read(extra[:]); n != 0 {
		return fmt.Errorf("%w: image longer than %d bytes", ErrSpec, s.ImageSize)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	copy(m.Root[:], root.Sum(nil))
	enc = m.Marshal()
	copy(m.MAC[:], sl.mac(enc))
	copy(enc[len(enc)-sha256.Size:], m.MAC[:])
	_, err = f.WriteAt(enc, 0)
	return err
}

// streamReaders lays out the stream: the image, with each segment's variant
// B inserted right after the segment's variant A.
func streamReaders(m *Manifest, vars [][]byte, img io.Reader) []io.Reader {
	var rs []io.Reader
	var pos int64 // image bytes already placed
	for i, sg := range m.Segments {
		end := int64(sg.Start+uint64(sg.Sectors)) * SectorSize
		rs = append(rs, io.LimitReader(img, end-pos), bytes.NewReader(vars[i]))
		pos = end
	}
	return append(rs, io.LimitReader(img, m.ImageSize-pos))
}

package titlepkg

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Synthetic is a title package whose image is generated, never stored: a
// pattern stamped with each chunk's index, sealed on demand as it is read.
// It lets benchmarks and demos copy a full-size (25 GB) title without a
// 25 GB file. It is a valid package: Open, Verify and ReadChunk accept it.
type Synthetic struct {
	m       *Manifest
	s       *sealer
	enc     []byte // encoded manifest
	pattern []byte // one chunk of filler
	tags    [][TagSize]byte
	bufs    sync.Pool
}

// NewSynthetic builds the manifest of an image of imageSize bytes with the
// given segments (their B variants are generated like the rest), sealing
// every chunk once to compute the integrity root: this costs one pass of
// AES-GCM over the whole stream.
func NewSynthetic(titleID string, imageSize int64, segs []Segment, keys *Keys, rand io.Reader) (*Synthetic, error) {
	m := &Manifest{Version: Version, TitleID: titleID, ImageSize: imageSize, SectorSize: SectorSize, ChunkSize: DefaultChunkSize, Segments: segs}
	m.ChunkCount = m.chunkCount()
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("titlepkg.NewSynthetic: %w", err)
	}
	if _, err := io.ReadFull(rand, m.Salt[:]); err != nil {
		return nil, fmt.Errorf("titlepkg.NewSynthetic: %w", err)
	}
	m.layout()
	s, err := newSealer(keys, m)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.NewSynthetic: %w", err)
	}
	for r, a := range s.regions {
		if a == nil {
			return nil, fmt.Errorf("titlepkg.NewSynthetic: %w: no key for region %d", ErrSpec, r)
		}
	}
	sy := &Synthetic{m: m, s: s, pattern: make([]byte, DefaultChunkSize+TagSize)}
	if _, err := io.ReadFull(rand, sy.pattern[:DefaultChunkSize]); err != nil {
		return nil, fmt.Errorf("titlepkg.NewSynthetic: %w", err)
	}
	sy.enc = m.Marshal()
	s.aad = headerHash(sy.enc)
	root := sha256.New()
	buf := make([]byte, DefaultChunkSize+TagSize)
	sy.tags = make([][TagSize]byte, m.ChunkCount)
	for i := range m.ChunkCount {
		ct := sy.chunk(i, buf)
		copy(sy.tags[i][:], ct[len(ct)-TagSize:])
		root.Write(sy.tags[i][:])
	}
	copy(m.Root[:], root.Sum(nil))
	sy.enc = m.Marshal()
	copy(m.MAC[:], s.mac(sy.enc))
	copy(sy.enc[len(sy.enc)-sha256.Size:], m.MAC[:])
	return sy, nil
}

// chunk seals chunk i into buf and returns ciphertext and tag.
func (sy *Synthetic) chunk(i uint64, buf []byte) []byte {
	n := sy.chunkLen(i)
	copy(buf[:n], sy.pattern)
	binary.BigEndian.PutUint64(buf, i)
	return sy.s.regions[sy.m.chunks[i].region].Seal(buf[:0], sy.s.nonce(i), buf[:n], sy.s.aad[:])
}

func (sy *Synthetic) chunkLen(i uint64) int64 { return sy.m.chunks[i].n }

// locate finds the chunk holding package byte off (past the manifest) and
// the offset within that chunk's ciphertext ‖ tag.
func (sy *Synthetic) locate(off int64) (uint64, int64) {
	rel := off - int64(len(sy.enc))
	// bodyOff grows with i.
	i := sort.Search(len(sy.m.chunks), func(i int) bool { return sy.m.bodyOff(i) > rel }) - 1
	i = max(i, 0)
	return uint64(i), rel - sy.m.bodyOff(i)
}

// Size is the package file's size.
func (sy *Synthetic) Size() int64 { return sy.m.FileSize() }

// ReadAt serves the package bytes at off, sealing the chunks it touches.
// A whole chunk is sealed straight into p, and a tag alone comes from the
// table kept since NewSynthetic, so a copy costs one seal per chunk read.
func (sy *Synthetic) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= sy.Size() {
		return 0, io.EOF
	}
	const stride = DefaultChunkSize + TagSize
	if off >= int64(len(sy.enc)) {
		i, at := sy.locate(off)
		n := sy.chunkLen(i)
		switch {
		case at == 0 && int64(len(p)) == n+TagSize:
			sy.chunk(i, p)
			return len(p), nil
		case at >= n && at+int64(len(p)) <= n+TagSize:
			return copy(p, sy.tags[i][at-n:]), nil
		}
	}
	total := 0
	buf, _ := sy.bufs.Get().([]byte)
	if buf == nil {
		buf = make([]byte, stride)
	}
	defer sy.bufs.Put(buf)
	for len(p) > 0 && off < sy.Size() {
		var src []byte
		var at int64
		if off < int64(len(sy.enc)) {
			src, at = sy.enc, off
		} else {
			var i uint64
			i, at = sy.locate(off)
			src = sy.chunk(i, buf)
		}
		n := copy(p, src[at:])
		p, off, total = p[n:], off+int64(n), total+n
	}
	if len(p) > 0 {
		return total, io.EOF
	}
	return total, nil
}

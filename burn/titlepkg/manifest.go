package titlepkg

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Format constants. Changing any of them means a new Version.
const (
	// Version is the manifest version this package writes and reads.
	// Version 2 keys each forensic variant apart (docs/title-package.md).
	Version = 2
	// SectorSize is the only sector size the format knows (BD logical sector).
	SectorSize = 2048
	// DefaultChunkSize is the plaintext size of every chunk but the last.
	DefaultChunkSize = 1 << 20
	// MinChunkSize and MaxChunkSize bound the chunk size a manifest may name;
	// the reader allocates one chunk per buffer, so this bounds its memory.
	MinChunkSize = 64 << 10
	MaxChunkSize = 8 << 20
	// MaxImageSize bounds the image (4 TiB: far above any BD, far below
	// overflow in any offset computation).
	MaxImageSize = 1 << 42
	// MaxTitleIDLen bounds the title ID.
	MaxTitleIDLen = 64
	// MaxSegments bounds the forensic segment table; a codeword has one bit
	// per segment.
	MaxSegments = 4096
	// MaxSegmentSectors bounds one segment (8 MiB), so a variant fits in
	// the packager's memory.
	MaxSegmentSectors = 4096
	// TagSize is the AES-GCM tag appended to every chunk.
	TagSize = 16
	// SaltSize is the random per-package salt for key derivation.
	SaltSize = 32
	// MaxShareRoots bounds the share roots (one per custody node;
	// custody.MaxNodes).
	MaxShareRoots = 256
	// FlagShareRoots marks a manifest of a title dealt to the network's
	// custody nodes: a share root table follows the segment table.
	FlagShareRoots = 0x0001

	magic         = "CSTPKG\r\n"
	fixedHeadSize = 8 + 2 + 2 + 4 + 1            // magic, version, flags, manifest length, title ID length
	fixedBodySize = 8 + 4 + 4 + 8 + SaltSize + 4 // image size, sector size, chunk size, chunk count, salt, segment count
	segmentSize   = 8 + 4                        // start sector, sector count
	trailerSize   = sha256.Size + sha256.Size    // integrity root, manifest MAC
	maxManifest   = fixedHeadSize + MaxTitleIDLen + fixedBodySize + MaxSegments*segmentSize + 2 + MaxShareRoots*sha256.Size + trailerSize
	minManifest   = fixedHeadSize + 1 + fixedBodySize + trailerSize
	rootOffsetEnd = trailerSize // root starts this many bytes before the end
)

// Errors. Every error from this package wraps one of them.
var (
	// ErrFormat: the bytes are not a well-formed title package.
	ErrFormat = errors.New("titlepkg: malformed title package")
	// ErrVersion: the package was written by a version this code can't read.
	ErrVersion = errors.New("titlepkg: unsupported title package version")
	// ErrAuth: the manifest or a chunk failed authentication: the package was
	// altered, damaged, or opened with the wrong package key.
	ErrAuth = errors.New("titlepkg: authentication failed")
	// ErrSpec: the packager's input is unusable.
	ErrSpec = errors.New("titlepkg: invalid package input")
	// ErrPackageChanged: the package file no longer holds a chunk its
	// authenticated manifest places in it: truncated or replaced in place
	// since it was opened.
	ErrPackageChanged = errors.New("titlepkg: the package file changed on disk while it was read; install it again (stationd titles add)")
)

// Segment is one forensic segment: a run of sectors of the image that exists
// in two variants.
type Segment struct {
	// Start is the segment's first sector in the image.
	Start uint64
	// Sectors is its length in sectors (1 to MaxSegmentSectors).
	Sectors uint32
}

// Manifest describes a title package.
type Manifest struct {
	Version    uint16
	TitleID    string
	ImageSize  int64 // bytes, a whole number of sectors
	SectorSize uint32
	ChunkSize  uint32
	ChunkCount uint64
	Salt       [SaltSize]byte
	Segments   []Segment // sorted, disjoint, inside the image
	// ShareRoots are the issuer's Merkle roots R_i over custody node i's
	// dealt shares of the title's keys (docs/key-custody.md), in genesis
	// order; empty for a title not dealt. The station checks each node's
	// released shares against them; the manifest MAC, under the base key
	// the shares combine to, then proves they were the issuer's.
	ShareRoots [][sha256.Size]byte
	// Root is SHA-256 over every chunk's GCM tag, in chunk order.
	Root [sha256.Size]byte
	// MAC is HMAC-SHA256 over every manifest byte before it.
	MAC [sha256.Size]byte

	chunks []chunk // the layout, once built
}

// StreamSize is the plaintext size of the chunk stream: the image plus
// variant B of every segment.
func (m *Manifest) StreamSize() int64 {
	n := m.ImageSize
	for _, s := range m.Segments {
		n += int64(s.Sectors) * SectorSize
	}
	return n
}

// Size is the encoded manifest's length in bytes.
func (m *Manifest) Size() int {
	n := fixedHeadSize + len(m.TitleID) + fixedBodySize + len(m.Segments)*segmentSize + trailerSize
	if len(m.ShareRoots) > 0 {
		n += 2 + len(m.ShareRoots)*sha256.Size
	}
	return n
}

func (m *Manifest) flags() uint16 {
	if len(m.ShareRoots) > 0 {
		return FlagShareRoots
	}
	return 0
}

// FileSize is the whole package file's expected length.
func (m *Manifest) FileSize() int64 {
	return int64(m.Size()) + m.StreamSize() + int64(m.ChunkCount)*TagSize
}

// Marshal encodes the manifest (see docs/title-package.md).
func (m *Manifest) Marshal() []byte {
	b := make([]byte, 0, m.Size())
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, m.Version)
	b = binary.BigEndian.AppendUint16(b, m.flags())
	b = binary.BigEndian.AppendUint32(b, uint32(m.Size()))
	b = append(b, byte(len(m.TitleID)))
	b = append(b, m.TitleID...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.ImageSize))
	b = binary.BigEndian.AppendUint32(b, m.SectorSize)
	b = binary.BigEndian.AppendUint32(b, m.ChunkSize)
	b = binary.BigEndian.AppendUint64(b, m.ChunkCount)
	b = append(b, m.Salt[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Segments)))
	for _, s := range m.Segments {
		b = binary.BigEndian.AppendUint64(b, s.Start)
		b = binary.BigEndian.AppendUint32(b, s.Sectors)
	}
	if len(m.ShareRoots) > 0 {
		b = binary.BigEndian.AppendUint16(b, uint16(len(m.ShareRoots)))
		for _, r := range m.ShareRoots {
			b = append(b, r[:]...)
		}
	}
	b = append(b, m.Root[:]...)
	b = append(b, m.MAC[:]...)
	return b
}

// headerHash is SHA-256 of the manifest up to (not including) the root: it is
// fixed before any chunk is sealed, and every chunk binds it as GCM
// additional data.
func headerHash(enc []byte) [sha256.Size]byte {
	return sha256.Sum256(enc[:len(enc)-rootOffsetEnd])
}

// ManifestLen reads the manifest length from the first 16 bytes of a
// package, so a reader knows how much to read before parsing.
func ManifestLen(head []byte) (int, error) {
	if len(head) < 16 || string(head[:8]) != magic {
		return 0, fmt.Errorf("titlepkg.ManifestLen: %w: no title package magic", ErrFormat)
	}
	if v := binary.BigEndian.Uint16(head[8:]); v != Version {
		return 0, fmt.Errorf("titlepkg.ManifestLen: %w: version %d, this station reads %d", ErrVersion, v, Version)
	}
	n := binary.BigEndian.Uint32(head[12:])
	if n < minManifest || n > maxManifest {
		return 0, fmt.Errorf("titlepkg.ManifestLen: %w: manifest length %d outside %d..%d", ErrFormat, n, minManifest, maxManifest)
	}
	return int(n), nil
}

// ParseManifest decodes and checks the structure of an encoded manifest. It
// does not authenticate it: Open does, with the package key.
func ParseManifest(b []byte) (*Manifest, error) {
	n, err := ManifestLen(b)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w", errors.Unwrap(err))
	}
	if len(b) != n {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w: %d bytes, header says %d", ErrFormat, len(b), n)
	}
	m := &Manifest{Version: binary.BigEndian.Uint16(b[8:])}
	flags := binary.BigEndian.Uint16(b[10:])
	if flags&^FlagShareRoots != 0 {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w: unknown flags %#04x", ErrFormat, flags)
	}
	idLen := int(b[16])
	p := b[fixedHeadSize:]
	if idLen > len(p) {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w: title ID runs past the manifest", ErrFormat)
	}
	m.TitleID, p = string(p[:idLen]), p[idLen:]
	if len(p) < fixedBodySize+trailerSize {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w: manifest too short", ErrFormat)
	}
	m.ImageSize = int64(binary.BigEndian.Uint64(p))
	m.SectorSize = binary.BigEndian.Uint32(p[8:])
	m.ChunkSize = binary.BigEndian.Uint32(p[12:])
	m.ChunkCount = binary.BigEndian.Uint64(p[16:])
	copy(m.Salt[:], p[24:])
	nseg := binary.BigEndian.Uint32(p[24+SaltSize:])
	p = p[fixedBodySize:]
	if nseg > MaxSegments || int(nseg)*segmentSize+trailerSize > len(p) {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w: segment count %d does not match the manifest length", ErrFormat, nseg)
	}
	m.Segments = make([]Segment, nseg)
	for i := range m.Segments {
		m.Segments[i] = Segment{Start: binary.BigEndian.Uint64(p), Sectors: binary.BigEndian.Uint32(p[8:])}
		p = p[segmentSize:]
	}
	if p, err = m.parseShareRoots(flags, p); err != nil {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w", err)
	}
	copy(m.Root[:], p)
	copy(m.MAC[:], p[sha256.Size:])
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("titlepkg.ParseManifest: %w", err)
	}
	return m, nil
}

// parseShareRoots reads the share root table if flags has it; what is left
// must be exactly the trailer.
func (m *Manifest) parseShareRoots(flags uint16, p []byte) ([]byte, error) {
	if flags&FlagShareRoots != 0 {
		if len(p) < 2 {
			return nil, fmt.Errorf("%w: share root count runs past the manifest", ErrFormat)
		}
		n := int(binary.BigEndian.Uint16(p))
		p = p[2:]
		if n < 1 || n > MaxShareRoots || n*sha256.Size+trailerSize != len(p) {
			return nil, fmt.Errorf("%w: %d share roots (want 1 to %d) do not match the manifest length", ErrFormat, n, MaxShareRoots)
		}
		m.ShareRoots = make([][sha256.Size]byte, n)
		for i := range m.ShareRoots {
			copy(m.ShareRoots[i][:], p)
			p = p[sha256.Size:]
		}
	}
	if len(p) != trailerSize {
		return nil, fmt.Errorf("%w: %d bytes after the tables, want the %d-byte trailer", ErrFormat, len(p), trailerSize)
	}
	return p, nil
}

// check validates every field against the format's bounds.
func (m *Manifest) check() error {
	switch {
	case m.Version != Version:
		return fmt.Errorf("%w: version %d, want %d", ErrVersion, m.Version, Version)
	case !ValidTitleID(m.TitleID):
		return fmt.Errorf("%w: title ID %q is not 1 to %d of A-Z a-z 0-9 . _ - (not starting with .)", ErrFormat, m.TitleID, MaxTitleIDLen)
	case m.SectorSize != SectorSize:
		return fmt.Errorf("%w: sector size %d, want %d", ErrFormat, m.SectorSize, SectorSize)
	case m.ImageSize <= 0 || m.ImageSize > MaxImageSize || m.ImageSize%SectorSize != 0:
		return fmt.Errorf("%w: image size %d is not a whole number of sectors between 1 and %d bytes", ErrFormat, m.ImageSize, int64(MaxImageSize))
	case m.ChunkSize < MinChunkSize || m.ChunkSize > MaxChunkSize || m.ChunkSize%SectorSize != 0:
		return fmt.Errorf("%w: chunk size %d is not a multiple of %d between %d and %d", ErrFormat, m.ChunkSize, SectorSize, MinChunkSize, MaxChunkSize)
	case len(m.Segments) > MaxSegments:
		return fmt.Errorf("%w: %d segments, at most %d", ErrFormat, len(m.Segments), MaxSegments)
	case len(m.ShareRoots) > MaxShareRoots:
		return fmt.Errorf("%w: %d share roots, at most %d", ErrFormat, len(m.ShareRoots), MaxShareRoots)
	}
	sectors := uint64(m.ImageSize / SectorSize)
	var next uint64
	for i, s := range m.Segments {
		if s.Sectors == 0 || s.Sectors > MaxSegmentSectors || s.Start < next || s.Start >= sectors || uint64(s.Sectors) > sectors-s.Start {
			return fmt.Errorf("%w: segment %d (sector %d, %d sectors) is empty, too long, out of order, overlapping or outside the image", ErrFormat, i, s.Start, s.Sectors)
		}
		next = s.Start + uint64(s.Sectors)
	}
	if want := m.chunkCount(); m.ChunkCount != want {
		return fmt.Errorf("%w: chunk count %d, the sizes imply %d", ErrFormat, m.ChunkCount, want)
	}
	return nil
}

// ValidTitleID reports whether id may name a title: it becomes a file name.
func ValidTitleID(id string) bool {
	if len(id) == 0 || len(id) > MaxTitleIDLen || id[0] == '.' {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

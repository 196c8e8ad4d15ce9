package disc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Header constants.
const (
	// Version is the disc format version this package writes and reads.
	// Version 1 held a 61-byte key block under the retired network player
	// key; version 2 a disc key block v2 (custody/playertree) after the
	// header sector.
	Version = 2
	// SectorSize and ClusterSectors are the BD logical sector and ECC
	// cluster; every region starts and ends on a cluster.
	SectorSize     = 2048
	ClusterSectors = 32
	ClusterSize    = SectorSize * ClusterSectors
	// TagSize is one integrity table entry (a GMAC tag per cluster).
	TagSize = 16
	// DefaultHeaderSectors is the header region when the format metadata
	// names none; MaxHeaderSectors bounds it (12 MiB: the header sector and
	// the largest key block playertree builds, 65,536 cover entries).
	DefaultHeaderSectors = ClusterSectors
	MaxHeaderSectors     = 6144
	// MaxKeyBlock bounds the disc key block, which fills the header region
	// after the header sector.
	MaxKeyBlock = (MaxHeaderSectors - 1) * SectorSize
	// KeySize is the size of the disc key.
	KeySize = 32
	// MaxCodeword bounds the codeword (one bit per forensic segment).
	MaxCodeword    = 512
	maxTitleID     = 64
	magic          = "CSDISC\r\n"
	fixedSize      = 76
	flagFinalized  = 1
	headerKeyLabel = "copystation disc v1 header key"
	maxMediaID     = 64
	maxCopyID      = 256
)

var (
	// ErrNotCopy: the disc does not start with a copy station header.
	ErrNotCopy = errors.New("disc: not a copy station disc")
	// ErrVersion: the header was written by another format version.
	ErrVersion = errors.New("disc: unsupported disc format version")
	// ErrHeader: the header is malformed or fails authentication.
	ErrHeader = errors.New("disc: invalid disc header")
	// ErrKeyBlock: the key block read from the header region is not the
	// one the header names (altered, or cut short).
	ErrKeyBlock = errors.New("disc: the disc key block does not match its header")
	// ErrKeyInput: a key has an unusable length.
	ErrKeyInput = errors.New("disc: invalid key input")
)

// Header is the first sector of a copy.
type Header struct {
	Version   uint16
	Profile   uint16 // MMC profile written for (0x41 BD-R SRM, 0x43 BD-RE)
	Layers    uint8
	Finalized bool
	Layout
	ImageSize   int64 // bytes before padding
	PackageRoot [32]byte
	TitleID     string
	CopyID      string
	MediaID     []byte
	// KeyBlock is the disc key block (custody/playertree format), written
	// in the header region after the header sector; Parse leaves it nil
	// and SetKeyBlock fills it.
	KeyBlock    []byte
	keyBlockLen int
	keyBlockSum [32]byte
	// Codeword is sealed under the disc key; Parse leaves it nil and Open
	// fills it.
	Codeword []byte
	sealed   []byte // sealed codeword as parsed
	aad      []byte // cleartext bytes the seal covers
}

// Layout is where a copy's regions lie, in sectors.
type Layout struct {
	StartLBA      uint32 // first sector of the header region
	HeaderSectors uint32
	ImageSectors  uint32 // image padded to whole clusters
	TableSectors  uint32 // integrity table padded to whole clusters
}

// HeaderSectorsFor is the header region for a key block of n bytes: the
// header sector and the block, in whole clusters, and at least min sectors
// (0 means DefaultHeaderSectors).
func HeaderSectorsFor(n int, min uint32) (uint32, error) {
	if n <= 0 || n > MaxKeyBlock {
		return 0, fmt.Errorf("disc.HeaderSectorsFor: %w: key block of %d bytes, want 1 to %d", ErrHeader, n, MaxKeyBlock)
	}
	if min == 0 {
		min = DefaultHeaderSectors
	}
	need := uint32(1 + (n+SectorSize-1)/SectorSize)
	need = (need + ClusterSectors - 1) / ClusterSectors * ClusterSectors
	return max(need, min), nil
}

// KeyBlockSectors is the number of sectors after the header sector that
// hold the key block.
func (h *Header) KeyBlockSectors() uint32 {
	return uint32((h.keyBlockLen + SectorSize - 1) / SectorSize)
}

// NewLayout lays out an image of size bytes from start, with headerSectors
// (0 means DefaultHeaderSectors).
func NewLayout(start, headerSectors uint32, size int64) (Layout, error) {
	if headerSectors == 0 {
		headerSectors = DefaultHeaderSectors
	}
	if headerSectors%ClusterSectors != 0 || headerSectors > MaxHeaderSectors || start%ClusterSectors != 0 {
		return Layout{}, fmt.Errorf("disc.NewLayout: %w: start %d and header of %d sectors must be whole clusters (header at most %d)", ErrHeader, start, headerSectors, MaxHeaderSectors)
	}
	if size <= 0 || size%SectorSize != 0 || size > 1<<40 {
		return Layout{}, fmt.Errorf("disc.NewLayout: %w: image of %d bytes is not a whole number of sectors", ErrHeader, size)
	}
	clusters := (size + ClusterSize - 1) / ClusterSize
	table := (clusters*TagSize + ClusterSize - 1) / ClusterSize
	l := Layout{StartLBA: start, HeaderSectors: headerSectors, ImageSectors: uint32(clusters * ClusterSectors), TableSectors: uint32(table * ClusterSectors)}
	if uint64(start)+l.Sectors() > 1<<32-1 {
		return Layout{}, fmt.Errorf("disc.NewLayout: %w: %d sectors from LBA %d pass the end of the address space", ErrHeader, l.Sectors(), start)
	}
	return l, nil
}

// Sectors is the copy's total size.
func (l Layout) Sectors() uint64 {
	return uint64(l.HeaderSectors) + uint64(l.ImageSectors) + uint64(l.TableSectors)
}

// ImageLBA is the first image sector; TableLBA the first table sector.
func (l Layout) ImageLBA() uint32 { return l.StartLBA + l.HeaderSectors }
func (l Layout) TableLBA() uint32 { return l.ImageLBA() + l.ImageSectors }

// Clusters is the number of image clusters (and table entries).
func (l Layout) Clusters() uint64 { return uint64(l.ImageSectors) / ClusterSectors }

// headerAEAD derives the header key from the disc key. The key seals one
// header per disc key, so the zero nonce is never reused with another
// plaintext.
func headerAEAD(discKey []byte) (cipher.AEAD, error) {
	if len(discKey) != KeySize {
		return nil, fmt.Errorf("%w: disc key is %d bytes, want %d", ErrKeyInput, len(discKey), KeySize)
	}
	k, err := hkdf.Key(sha256.New, discKey, nil, headerKeyLabel, KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Seal encodes the header region: the header sector, sealing the codeword
// under the disc key, then the key block from the second sector, then
// zeros to the end of the region (HeaderSectors sectors).
func (h *Header) Seal(discKey []byte) ([]byte, error) {
	h.keyBlockLen, h.keyBlockSum = len(h.KeyBlock), sha256.Sum256(h.KeyBlock)
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("disc.Header.Seal: %w", err)
	}
	if len(h.Codeword) > MaxCodeword {
		return nil, fmt.Errorf("disc.Header.Seal: %w: codeword of %d bytes, at most %d", ErrHeader, len(h.Codeword), MaxCodeword)
	}
	aead, err := headerAEAD(discKey)
	if err != nil {
		return nil, fmt.Errorf("disc.Header.Seal: %w", err)
	}
	b := make([]byte, fixedSize, SectorSize)
	copy(b, magic)
	binary.BigEndian.PutUint16(b[8:], Version)
	if h.Finalized {
		binary.BigEndian.PutUint16(b[10:], flagFinalized)
	}
	binary.BigEndian.PutUint16(b[16:], h.Profile)
	b[18] = h.Layers
	binary.BigEndian.PutUint32(b[20:], h.StartLBA)
	binary.BigEndian.PutUint32(b[24:], h.HeaderSectors)
	binary.BigEndian.PutUint32(b[28:], h.ImageSectors)
	binary.BigEndian.PutUint32(b[32:], h.TableSectors)
	binary.BigEndian.PutUint64(b[36:], uint64(h.ImageSize))
	copy(b[44:], h.PackageRoot[:])
	b = append(b, byte(len(h.TitleID)))
	b = append(b, h.TitleID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.CopyID)))
	b = append(b, h.CopyID...)
	b = append(b, byte(len(h.MediaID)))
	b = append(b, h.MediaID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.KeyBlock)))
	b = append(b, h.keyBlockSum[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Codeword)+aead.Overhead()))
	binary.BigEndian.PutUint32(b[12:], uint32(len(b)+len(h.Codeword)+aead.Overhead()))
	var nonce [12]byte
	b = aead.Seal(b, nonce[:], h.Codeword, b)
	region := make([]byte, int(h.HeaderSectors)*SectorSize)
	copy(region, b)
	copy(region[SectorSize:], h.KeyBlock)
	return region, nil
}

// check validates the cleartext fields.
func (h *Header) check() error {
	want, err := NewLayout(h.StartLBA, h.HeaderSectors, h.ImageSize)
	switch {
	case err != nil:
		return err
	case want != h.Layout:
		return fmt.Errorf("%w: layout %+v does not match an image of %d bytes (want %+v)", ErrHeader, h.Layout, h.ImageSize, want)
	case len(h.TitleID) == 0 || len(h.TitleID) > maxTitleID:
		return fmt.Errorf("%w: title ID of %d bytes, want 1 to %d", ErrHeader, len(h.TitleID), maxTitleID)
	case len(h.CopyID) == 0 || len(h.CopyID) > maxCopyID:
		return fmt.Errorf("%w: copy ID of %d bytes, want 1 to %d", ErrHeader, len(h.CopyID), maxCopyID)
	case len(h.MediaID) == 0 || len(h.MediaID) > maxMediaID:
		return fmt.Errorf("%w: media ID of %d bytes, want 1 to %d", ErrHeader, len(h.MediaID), maxMediaID)
	case h.keyBlockLen <= 0 || h.keyBlockLen > MaxKeyBlock:
		return fmt.Errorf("%w: key block of %d bytes, want 1 to %d", ErrHeader, h.keyBlockLen, MaxKeyBlock)
	case 1+h.KeyBlockSectors() > h.HeaderSectors:
		return fmt.Errorf("%w: a key block of %d bytes does not fit a header region of %d sectors", ErrHeader, h.keyBlockLen, h.HeaderSectors)
	}
	return nil
}

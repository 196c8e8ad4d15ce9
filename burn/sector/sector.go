package sector

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes.
const (
	KeySize        = 32
	SectorSize     = 2048
	ClusterSectors = 32
	ClusterSize    = SectorSize * ClusterSectors
	TagSize        = 16
	blocksPerSec   = SectorSize / aes.BlockSize // 128
)

// HKDF info labels for the keys derived from the disc key.
const (
	sectorKeyLabel = "copystation disc v1 sector key"
	macKeyLabel    = "copystation disc v1 cluster mac key"
)

var (
	// ErrKey: the disc key has the wrong length.
	ErrKey = errors.New("sector: disc key must be 32 bytes")
	// ErrLength: a buffer is not a whole number of sectors.
	ErrLength = errors.New("sector: length is not a whole number of sectors")
	// ErrTag: a cluster's tag does not match its contents.
	ErrTag = errors.New("sector: cluster tag does not match")
)

// Cipher encrypts, decrypts and tags sectors of one disc. It is safe for
// concurrent use.
type Cipher struct {
	block cipher.Block // sector key
	gmac  cipher.AEAD  // cluster MAC key
}

// New derives the sector and cluster MAC keys from the per-disc key.
func New(discKey []byte) (*Cipher, error) {
	if len(discKey) != KeySize {
		return nil, fmt.Errorf("sector.New: %w (got %d)", ErrKey, len(discKey))
	}
	sk, err := hkdf.Key(sha256.New, discKey, nil, sectorKeyLabel, KeySize)
	if err != nil {
		return nil, fmt.Errorf("sector.New: %w", err)
	}
	defer clear(sk)
	mk, err := hkdf.Key(sha256.New, discKey, nil, macKeyLabel, KeySize)
	if err != nil {
		return nil, fmt.Errorf("sector.New: %w", err)
	}
	defer clear(mk)
	block, err := aes.NewCipher(sk)
	if err != nil {
		return nil, fmt.Errorf("sector.New: %w", err)
	}
	mb, err := aes.NewCipher(mk)
	if err != nil {
		return nil, fmt.Errorf("sector.New: %w", err)
	}
	gmac, err := cipher.NewGCM(mb)
	if err != nil {
		return nil, fmt.Errorf("sector.New: %w", err)
	}
	return &Cipher{block: block, gmac: gmac}, nil
}

// CounterBlock is the CTR counter block of the first AES block of sector s:
// the 128-bit big-endian integer 128·s.
func CounterBlock(s uint64) [aes.BlockSize]byte {
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint64(iv[0:], s>>57)
	binary.BigEndian.PutUint64(iv[8:], s<<7)
	return iv
}

// XOR encrypts or decrypts (CTR is its own inverse) whole sectors from src
// into dst, the first being sector first. dst and src may overlap exactly.
func (c *Cipher) XOR(dst, src []byte, first uint64) error {
	if len(src)%SectorSize != 0 || len(dst) < len(src) {
		return fmt.Errorf("sector.XOR: %w (%d bytes)", ErrLength, len(src))
	}
	iv := CounterBlock(first)
	cipher.NewCTR(c.block, iv[:]).XORKeyStream(dst[:len(src)], src)
	return nil
}

// Tag computes the GMAC tag of one cluster's ciphertext (up to ClusterSize
// bytes; the last cluster of an image may be short).
func (c *Cipher) Tag(cluster uint64, ct []byte) [TagSize]byte {
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[4:], cluster)
	var tag [TagSize]byte
	c.gmac.Seal(tag[:0], nonce[:], nil, ct)
	return tag
}

// Check compares a cluster's ciphertext against its tag in constant time.
func (c *Cipher) Check(cluster uint64, ct []byte, want [TagSize]byte) error {
	got := c.Tag(cluster, ct)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("sector.Check: cluster %d: %w", cluster, ErrTag)
	}
	return nil
}

package custody

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"copystation/burn/titlepkg"
	"copystation/keys"
)

// HKDF info strings (docs/key-custody.md). Salt is empty throughout.
const (
	infoCodeword = "copystation codeword v1"
	infoDiscKey  = "copystation disc key v2"
	infoTitleKey = "copystation title key v1"
)

// MaxSegments bounds a title's forensic segments: one codeword bit each,
// and HKDF-SHA256 expands at most 255·32 bytes.
const MaxSegments = 255 * 32 * 8

// MaxMediaIDLen bounds the media ID in a disc key's info (as keys.Info).
const MaxMediaIDLen = keys.MaxMediaIDLen

// Codeword is a copy's forensic codeword: Seed, and one bit per segment.
type Codeword struct {
	Seed [32]byte
	bits []byte // N bits, most significant bit of byte 0 first
	N    int
}

// Bytes is a copy of the codeword's bits, ceil(N/8) bytes, most
// significant bit of byte 0 first (the order titlepkg.CodewordBit reads).
func (c Codeword) Bytes() []byte { return append([]byte(nil), c.bits...) }

// Bit is the variant (0 = A, 1 = B) segment s takes.
func (c Codeword) Bit(s int) int { return titlepkg.CodewordBit(c.bits, s) }

// CodewordFromBits is the codeword of n bits packed as Bytes packs them
// (a Tardos codeword, or one read off a release); its Seed is zero, since
// it did not come from one here. Padding bits must be zero, so a codeword
// has one encoding.
func CodewordFromBits(bits []byte, n int) (Codeword, error) {
	if n < 1 || n > MaxSegments || len(bits) != (n+7)/8 {
		return Codeword{}, fmt.Errorf("custody.CodewordFromBits: %w: %d bytes for %d bits, want 1 to %d bits in ceil(bits/8) bytes", ErrCodeword, len(bits), n, MaxSegments)
	}
	if n%8 != 0 && bits[len(bits)-1]&(0xff>>(n%8)) != 0 {
		return Codeword{}, fmt.Errorf("custody.CodewordFromBits: %w: padding bits after bit %d are not zero", ErrCodeword, n)
	}
	return Codeword{bits: append([]byte(nil), bits...), N: n}, nil
}

// Equal reports whether two codewords have the same N bits (seeds and
// padding bits aside).
func (c Codeword) Equal(d Codeword) bool {
	if c.N != d.N || len(c.bits) != len(d.bits) {
		return false
	}
	a, b := c.clone(), d.clone()
	return bytes.Equal(a.bits, b.bits)
}

// clone copies the bits with the padding bits cleared (DeriveCodeword's
// last byte may have them set), as a release encodes them.
func (c Codeword) clone() Codeword {
	c.bits = append([]byte(nil), c.bits...)
	if c.N%8 != 0 && len(c.bits) > 0 {
		c.bits[len(c.bits)-1] &^= 0xff >> (c.N % 8)
	}
	return c
}

// DeriveCodeword derives a copy's codeword from its group signature:
// Seed = HKDF-SHA256(IKM = σ, salt = "", info = "copystation codeword v1",
// 32 bytes); bits = HKDF-Expand(PRK = Seed, info = "copystation codeword v1"
// ‖ u32(nbits), ceil(nbits/8) bytes), bit s = bit 7-(s mod 8) of byte s/8.
func DeriveCodeword(sig Signature, nbits int) (Codeword, error) {
	if nbits < 1 || nbits > MaxSegments {
		return Codeword{}, fmt.Errorf("custody.DeriveCodeword: %w: %d bits, want 1 to %d", ErrCodeword, nbits, MaxSegments)
	}
	seed, err := hkdf.Key(sha256.New, sig[:], nil, infoCodeword, 32)
	if err != nil {
		return Codeword{}, fmt.Errorf("custody.DeriveCodeword: %w", err)
	}
	info := binary.BigEndian.AppendUint32([]byte(infoCodeword), uint32(nbits))
	bits, err := hkdf.Expand(sha256.New, seed, string(info), (nbits+7)/8)
	if err != nil {
		return Codeword{}, fmt.Errorf("custody.DeriveCodeword: %w", err)
	}
	c := Codeword{bits: bits, N: nbits}
	copy(c.Seed[:], seed)
	return c, nil
}

// DiscKey derives the per-disc key of one attempt on one blank:
// HKDF-SHA256(IKM = σ, salt = "", info = "copystation disc key v2" ‖
// u32(attempt) ‖ media ID, 32 bytes). The media ID ends the info, so it
// needs no length prefix.
func DiscKey(sig Signature, attempt uint32, mediaID []byte) ([32]byte, error) {
	var k [32]byte
	if len(mediaID) == 0 || len(mediaID) > MaxMediaIDLen {
		return k, fmt.Errorf("custody.DiscKey: %w: media ID is %d bytes, want 1 to %d", ErrLabel, len(mediaID), MaxMediaIDLen)
	}
	info := binary.BigEndian.AppendUint32([]byte(infoDiscKey), attempt)
	info = append(info, mediaID...)
	b, err := hkdf.Key(sha256.New, sig[:], nil, string(info), 32)
	if err != nil {
		return k, fmt.Errorf("custody.DiscKey: %w", err)
	}
	copy(k[:], b)
	clear(b)
	return k, nil
}

// titleKey turns a title key scalar (32-byte big-endian) into the AES key:
// HKDF-SHA256(IKM = scalar bytes, salt = "", info = "copystation title key
// v1", 32 bytes).
func titleKey(scalar []byte) [32]byte {
	var k [32]byte
	b, _ := hkdf.Key(sha256.New, scalar, nil, infoTitleKey, 32) // fixed length: cannot fail
	copy(k[:], b)
	clear(b)
	return k
}

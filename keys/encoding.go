package keys

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"copystation/burn/titlepkg"
)

// Sizes and bounds of the plaintext encoding of CopyKeys.
const (
	// KeySize is the size of every key: base, variant and disc key.
	KeySize = 32
	// MaxVariantKeys bounds the variant keys: one per forensic segment,
	// as many as a title package may have.
	MaxVariantKeys = titlepkg.MaxSegments
	// MaxRevoked bounds the revoked players a release lists.
	MaxRevoked = 2048
	// MaxCodewordLen bounds the forensic codeword (65,536 segments).
	MaxCodewordLen = 8 << 10
	// MaxEncodedLen is the largest valid encoding of CopyKeys.
	MaxEncodedLen = 1 + 2*(2+KeySize) + 2 + MaxCodewordLen + 2 + MaxVariantKeys*KeySize + formatLen + 2 + 4*MaxRevoked
)

const (
	encodingVersion = 3
	formatLen       = 2 + 1 + 1 + 1 + 4
)

// ErrEncoding is returned for CopyKeys that can't be encoded or bytes that
// are not a valid encoding.
var ErrEncoding = errors.New("keys: invalid copy-keys encoding")

// MarshalBinary returns the deterministic, versioned encoding of k: a version
// byte, the three byte fields (base key, disc key, codeword) each prefixed
// by a 16-bit length, the variant keys as a 16-bit count and 32 bytes each,
// the format metadata in fixed width, then the revoked players as a 16-bit
// count and a u32 leaf each. It checks every bound the decoder checks.
func (k *CopyKeys) MarshalBinary() ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, fmt.Errorf("keys.CopyKeys.MarshalBinary: %w", err)
	}
	b := make([]byte, 0, 1+4*2+len(k.BaseKey)+len(k.DiscKey)+len(k.Codeword)+len(k.VariantKeys)*KeySize+formatLen+2+4*len(k.Revoked))
	b = append(b, encodingVersion)
	b = appendBytes16(b, k.BaseKey)
	b = appendBytes16(b, k.DiscKey)
	b = appendBytes16(b, k.Codeword)
	b = binary.BigEndian.AppendUint16(b, uint16(len(k.VariantKeys)))
	for _, v := range k.VariantKeys {
		b = append(b, v...)
	}
	f := k.Format
	b = binary.BigEndian.AppendUint16(b, f.Profile)
	b = append(b, f.Layers)
	b = append(b, boolByte(f.Finalize))
	b = append(b, f.MaxSpeedX)
	b = binary.BigEndian.AppendUint32(b, f.HeaderSectors)
	b = binary.BigEndian.AppendUint16(b, uint16(len(k.Revoked)))
	for _, l := range k.Revoked {
		b = binary.BigEndian.AppendUint32(b, l)
	}
	return b, nil
}

func (k *CopyKeys) check() error {
	switch {
	case k == nil:
		return fmt.Errorf("%w: nil copy keys", ErrEncoding)
	case len(k.BaseKey) != KeySize:
		return fmt.Errorf("%w: base key is %d bytes, want %d", ErrEncoding, len(k.BaseKey), KeySize)
	case len(k.VariantKeys) > MaxVariantKeys || len(k.VariantKeys) > 8*len(k.Codeword):
		return fmt.Errorf("%w: %d variant keys for a codeword of %d bits (at most %d)", ErrEncoding, len(k.VariantKeys), 8*len(k.Codeword), MaxVariantKeys)
	case len(k.DiscKey) != 0 && len(k.DiscKey) != KeySize:
		// absent from a node's release: the station derives it from the
		// copy's group signature (custody.DiscKey)
		return fmt.Errorf("%w: disc key is %d bytes, want none or %d", ErrEncoding, len(k.DiscKey), KeySize)
	case len(k.Revoked) > MaxRevoked:
		return fmt.Errorf("%w: %d revoked players, want at most %d", ErrEncoding, len(k.Revoked), MaxRevoked)
	case len(k.Codeword) > MaxCodewordLen:
		return fmt.Errorf("%w: codeword is %d bytes, want at most %d", ErrEncoding, len(k.Codeword), MaxCodewordLen)
	case slices.ContainsFunc(k.VariantKeys, func(v []byte) bool { return len(v) != KeySize }):
		return fmt.Errorf("%w: a variant key is not %d bytes", ErrEncoding, KeySize)
	case k.Format.Layers != 1 && k.Format.Layers != 2:
		return fmt.Errorf("%w: %d layers, want 1 or 2", ErrEncoding, k.Format.Layers)
	}
	return nil
}

// UnmarshalCopyKeys decodes the encoding made by MarshalBinary. It accepts
// exactly one encoding per value (no trailing bytes, booleans 0 or 1) and
// copies every field out of b, so the caller may wipe b.
func UnmarshalCopyKeys(b []byte) (*CopyKeys, error) {
	if len(b) > MaxEncodedLen {
		return nil, fmt.Errorf("keys.UnmarshalCopyKeys: %w: %d bytes, want at most %d", ErrEncoding, len(b), MaxEncodedLen)
	}
	r := &reader{b: b}
	if v := r.u8(); r.err == nil && v != encodingVersion {
		return nil, fmt.Errorf("keys.UnmarshalCopyKeys: %w: version %d, want %d", ErrEncoding, v, encodingVersion)
	}
	k := &CopyKeys{
		BaseKey:  clone(r.bytes16()),
		DiscKey:  clone(r.bytes16()),
		Codeword: clone(r.bytes16()),
	}
	if n := int(r.u16()); r.err == nil && n <= MaxVariantKeys && n*KeySize <= len(r.b) {
		k.VariantKeys = make([][]byte, n)
		for i := range k.VariantKeys {
			k.VariantKeys[i] = clone(r.take(KeySize))
		}
	} else if r.err == nil {
		r.err = fmt.Errorf("%d variant keys (at most %d) in %d bytes", n, MaxVariantKeys, len(r.b))
	}
	k.Format.Profile = r.u16()
	k.Format.Layers = r.u8()
	fin := r.u8()
	k.Format.MaxSpeedX = r.u8()
	k.Format.HeaderSectors = r.u32()
	if n := int(r.u16()); r.err == nil && n <= MaxRevoked && 4*n <= len(r.b) {
		for range n {
			k.Revoked = append(k.Revoked, r.u32())
		}
	} else if r.err == nil {
		r.err = fmt.Errorf("%d revoked players (at most %d) in %d bytes", n, MaxRevoked, len(r.b))
	}
	var err error
	switch {
	case r.err != nil:
		err = fmt.Errorf("%w: %v", ErrEncoding, r.err)
	case len(r.b) != 0:
		err = fmt.Errorf("%w: %d trailing bytes", ErrEncoding, len(r.b))
	case fin > 1:
		err = fmt.Errorf("%w: finalize flag %d, want 0 or 1", ErrEncoding, fin)
	default:
		k.Format.Finalize = fin == 1
		err = k.check()
	}
	if err != nil {
		k.Wipe()
		return nil, fmt.Errorf("keys.UnmarshalCopyKeys: %w", err)
	}
	return k, nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// clone copies p; an empty field decodes as nil so that decoding is the
// exact inverse of encoding for comparisons.
func clone(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

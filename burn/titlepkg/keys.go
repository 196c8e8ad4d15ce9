package titlepkg

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrNoKey: a chunk belongs to a stream region (a forensic variant) whose
// key the caller does not hold: a copy receives the key of one variant per
// segment, the one its codeword names.
var ErrNoKey = errors.New("titlepkg: no key for this part of the package (a variant this copy's codeword does not name)")

// Keys are a package's keys: the base key, which opens the image outside
// the forensic segments and authenticates the manifest, and a key per
// variant of each segment. A copy holds the base key and one variant key
// per segment; the issuer holds them all (made by custody.Deal, which
// splits each among the custody nodes: custody.TitleKeys.PackageKeys).
type Keys struct {
	Base []byte
	// Variants[s][v] is the key of variant v (0 = A, 1 = B) of segment
	// s, nil where not held.
	Variants [][2][]byte
}

// CodewordBit is bit i of a codeword: most significant bit first, 0 names
// variant A, 1 variant B.
func CodewordBit(codeword []byte, i int) int {
	return int(codeword[i/8]>>(7-i%8)) & 1
}

// Select returns a copy of the base key and, per segment, the key of the
// variant the codeword names: what a copy is given.
func (k *Keys) Select(codeword []byte) (*Keys, error) {
	if len(codeword)*8 < len(k.Variants) {
		return nil, fmt.Errorf("titlepkg.Keys.Select: %w: codeword of %d bits for %d segments", ErrSpec, len(codeword)*8, len(k.Variants))
	}
	out := &Keys{Base: bytes.Clone(k.Base), Variants: make([][2][]byte, len(k.Variants))}
	for s, v := range k.Variants {
		b := CodewordBit(codeword, s)
		if v[b] == nil {
			out.Wipe()
			return nil, fmt.Errorf("titlepkg.Keys.Select: %w: segment %d variant %d", ErrNoKey, s, b)
		}
		out.Variants[s][b] = bytes.Clone(v[b])
	}
	return out, nil
}

// Wipe clears every key held.
func (k *Keys) Wipe() {
	if k == nil {
		return
	}
	clear(k.Base)
	for _, v := range k.Variants {
		clear(v[0])
		clear(v[1])
	}
}

// regionKey is the key of a stream region, nil if not held.
func (k *Keys) regionKey(r Region) []byte {
	if r == BaseRegion {
		return k.Base
	}
	s, v := r.Segment()
	if s >= len(k.Variants) {
		return nil
	}
	return k.Variants[s][v]
}

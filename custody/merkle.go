package custody

import (
	"crypto/sha256"
	"encoding/binary"
)

// leafMagic opens every share leaf, so a leaf hash is never another hash of
// the project.
const leafMagic = "copystation share leaf v1"

// leafHash is the RFC 6962 leaf hash of node's share y of key k of a title:
// SHA-256(0x00 ‖ "copystation share leaf v1" ‖ u16(len(title ID)) ‖ title ID
// ‖ u16(node) ‖ u32(k) ‖ y).
func leafHash(titleID string, node, k int, y []byte) [32]byte {
	h := sha256.New()
	var buf [2 + len(leafMagic) + 2 + MaxLabelField + 2 + 4]byte
	b := append(buf[:0], 0x00)
	b = append(b, leafMagic...)
	b = appendField(b, []byte(titleID))
	b = appendU16(b, node)
	b = binary.BigEndian.AppendUint32(b, uint32(k))
	h.Write(b)
	h.Write(y)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// merkleRoot is the RFC 6962 Merkle tree hash over leaf hashes: a node is
// SHA-256(0x01 ‖ left ‖ right), the left subtree holding the largest power
// of two smaller than the leaf count. leaves is not modified.
func merkleRoot(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := merkleRoot(leaves[:k]), merkleRoot(leaves[k:])
	var buf [65]byte
	buf[0] = 0x01
	copy(buf[1:], l[:])
	copy(buf[33:], r[:])
	return sha256.Sum256(buf[:])
}

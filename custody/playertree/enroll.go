package playertree

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"

	"copystation/custody"
)

// Enrollment, node side and maker side: a node extracts its partial of
// every key on the leaf's path and seals them to the maker's X25519 key;
// the maker opens t nodes' files, combines each key and checks it against
// the group key (docs/key-custody.md, "Players").

// partialLen is one custody.Partial: u16 node index ‖ G1.
const partialLen = 2 + custody.G1Len

const partialsMagic = "copystation player partials v1"

// ErrPartials: a partials file is malformed, for another leaf, or not
// sealed to this maker.
var ErrPartials = errors.New("playertree: not a player partials file for this maker")

// Extract is one node's part of a leaf's device keys: its partial on the
// key of every node on the leaf's path, root first. A node calls it only
// for an enrollment final on its own ledger.
func Extract(t Tree, leaf uint32, ks *custody.KeyShare) ([]custody.Partial, error) {
	path, err := t.PathOf(leaf)
	if err != nil {
		return nil, fmt.Errorf("playertree.Extract: %w", err)
	}
	out := make([]custody.Partial, len(path))
	for d, n := range path {
		if out[d], err = PartialExtract(t, n, ks); err != nil {
			return nil, fmt.Errorf("playertree.Extract: %w", err)
		}
	}
	return out, nil
}

// SealPartials encodes one node's partials for a leaf, HPKE-sealed
// (DHKEM(X25519), HKDF-SHA256, AES-256-GCM) to the maker's key, the tree
// and leaf in the clear and in the HPKE info:
//
//	u16 len ‖ "copystation player partials v1" ‖ u8 len ‖ tree ID ‖ u8 depth ‖ u32 leaf ‖ HPKE(enc ‖ ct)
//
// the plaintext being depth+1 partials of 50 bytes, root first.
func SealPartials(maker *ecdh.PublicKey, t Tree, leaf uint32, ps []custody.Partial) ([]byte, error) {
	if _, err := t.PathOf(leaf); err != nil {
		return nil, fmt.Errorf("playertree.SealPartials: %w", err)
	}
	if len(ps) != int(t.Depth)+1 {
		return nil, fmt.Errorf("playertree.SealPartials: %w: %d partials for depth %d", ErrPartials, len(ps), t.Depth)
	}
	pt := make([]byte, 0, len(ps)*partialLen)
	for _, p := range ps {
		b, err := p.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("playertree.SealPartials: %w", err)
		}
		pt = append(pt, b...)
	}
	head := partialsHeader(t, leaf)
	pk, err := hpke.NewDHKEMPublicKey(maker)
	if err != nil {
		return nil, fmt.Errorf("playertree.SealPartials: %w", err)
	}
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.AES256GCM(), head, pt)
	if err != nil {
		return nil, fmt.Errorf("playertree.SealPartials: %w", err)
	}
	return append(head, ct...), nil
}

func partialsHeader(t Tree, leaf uint32) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(partialsMagic)))
	b = append(b, partialsMagic...)
	b = append(b, byte(len(t.ID)))
	b = append(b, t.ID...)
	b = append(b, t.Depth)
	return binary.BigEndian.AppendUint32(b, leaf)
}

// ParsePartialsHeader reads the tree and leaf a partials file is for,
// without opening it.
func ParsePartialsHeader(b []byte) (Tree, uint32, []byte, error) {
	bad := func(why string) (Tree, uint32, []byte, error) {
		return Tree{}, 0, nil, fmt.Errorf("playertree.ParsePartialsHeader: %w: %s", ErrPartials, why)
	}
	m := 2 + len(partialsMagic)
	if len(b) < m+1 || string(b[2:m]) != partialsMagic || int(binary.BigEndian.Uint16(b)) != len(partialsMagic) {
		return bad("no magic")
	}
	n := int(b[m])
	if len(b) < m+1+n+5 {
		return bad("cut short")
	}
	t := Tree{ID: string(b[m+1 : m+1+n]), Depth: b[m+1+n]}
	leaf := binary.BigEndian.Uint32(b[m+2+n:])
	if _, err := t.PathOf(leaf); err != nil {
		return bad(err.Error())
	}
	return t, leaf, b[m+6+n:], nil
}

// OpenPartials opens a node's partials file with the maker's key.
func OpenPartials(maker *ecdh.PrivateKey, b []byte) (Tree, uint32, []custody.Partial, error) {
	t, leaf, ct, err := ParsePartialsHeader(b)
	if err != nil {
		return Tree{}, 0, nil, err
	}
	sk, err := hpke.NewDHKEMPrivateKey(maker)
	if err != nil {
		return Tree{}, 0, nil, fmt.Errorf("playertree.OpenPartials: %w", err)
	}
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.AES256GCM(), b[:len(b)-len(ct)], ct)
	if err != nil {
		return Tree{}, 0, nil, fmt.Errorf("playertree.OpenPartials: %w: it does not open with this maker's key", ErrPartials)
	}
	if len(pt) != (int(t.Depth)+1)*partialLen {
		return Tree{}, 0, nil, fmt.Errorf("playertree.OpenPartials: %w: %d bytes of partials for depth %d", ErrPartials, len(pt), t.Depth)
	}
	ps := make([]custody.Partial, t.Depth+1)
	for d := range ps {
		if ps[d], err = custody.UnmarshalPartial(pt[d*partialLen : (d+1)*partialLen]); err != nil {
			return Tree{}, 0, nil, fmt.Errorf("playertree.OpenPartials: %w: %v", ErrPartials, err)
		}
	}
	return t, leaf, ps, nil
}

// Combine makes a leaf's device keys from several nodes' partials (one
// slice per node, as Extract returns them): each key from any t valid
// partials, a wrong partial named and skipped, and every key checked
// against the group key.
func Combine(t Tree, leaf uint32, g *custody.Group, byNode [][]custody.Partial) (*DeviceKeys, error) {
	path, err := t.PathOf(leaf)
	if err != nil {
		return nil, fmt.Errorf("playertree.Combine: %w", err)
	}
	k := &DeviceKeys{Tree: t, Leaf: leaf}
	for d, n := range path {
		var ps []custody.Partial
		for _, node := range byNode {
			if len(node) == len(path) {
				ps = append(ps, node[d])
			}
		}
		key, err := CombineExtract(t, n, g, ps)
		if err != nil {
			k.Wipe()
			return nil, fmt.Errorf("playertree.Combine: %w", err)
		}
		k.Keys = append(k.Keys, key)
	}
	if err := k.Verify(g.Key()); err != nil {
		k.Wipe()
		return nil, fmt.Errorf("playertree.Combine: %w", err)
	}
	return k, nil
}

package custody

import (
	"bytes"

	"copystation/burn/titlepkg"
)

// hpkeOverhead is what HPKE adds to a sealed share vector: the X25519
// encapsulated key (32) and the AES-256-GCM tag (16).
const hpkeOverhead = 32 + 16

// SharesLen is the size of a node's share vector for S segments
// (TitleShares.MarshalBinary), and SealedSharesLen the size of its sealed
// blob in a registration: the contract checks a blob's size exactly before
// storing it, so a registration cannot carry bytes no node will open.
func SharesLen(segments int) int {
	return 2 + len(titleSharesMagic) + 2 + 4 + ScalarLen*(1+2*segments)
}

// SealedSharesLen: see SharesLen.
func SealedSharesLen(segments int) int { return SharesLen(segments) + hpkeOverhead }

// PackageKeys are the issuer's dealt keys in the form the title packager
// takes (titlepkg.Spec.Keys): the package is encrypted under exactly the
// keys the network's shares combine to. The caller wipes both.
func (k *TitleKeys) PackageKeys() *titlepkg.Keys {
	out := &titlepkg.Keys{Base: bytes.Clone(k.Base[:]), Variants: make([][2][]byte, len(k.Variants))}
	for s, v := range k.Variants {
		out.Variants[s] = [2][]byte{bytes.Clone(v[0][:]), bytes.Clone(v[1][:])}
	}
	return out
}

// PackageKeys are a copy's combined keys in the form the title package
// reader takes: the base key and, per segment, only the variant the
// codeword selected (the other is nil, so reading it fails with
// titlepkg.ErrNoKey). The caller wipes both.
func (k *CopyKeys) PackageKeys() *titlepkg.Keys {
	out := &titlepkg.Keys{Base: bytes.Clone(k.Base[:]), Variants: make([][2][]byte, len(k.Segments))}
	for s := range k.Segments {
		out.Variants[s][k.Variant[s]] = bytes.Clone(k.Segments[s][:])
	}
	return out
}

// Package playertreetest is a one-node player network for tests: a real
// group key from a fixed secret, real device keys extracted from it, so a
// test writes and opens real disc key blocks without running a DKG.
package playertreetest

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/custody/playertree"
)

// Network is a t = n = 1 custody group and one player tree.
type Network struct {
	Tree  playertree.Tree
	Group *custody.Group
	share *custody.KeyShare
}

// New makes a network whose group secret is derived from seed.
func New(tb testing.TB, tree playertree.Tree, seed string) *Network {
	tb.Helper()
	sum := sha256.Sum256([]byte("playertreetest " + seed))
	sum[0] &= 0x3f // below the group order
	b := binary.BigEndian.AppendUint16(nil, 24)
	b = append(b, "copystation key share v1"...)
	b = append(b, 0, 0)
	ks, err := custody.UnmarshalKeyShare(append(b, sum[:]...))
	if err != nil {
		tb.Fatal(err)
	}
	x := custody.Suite().G2().Scalar()
	if err := x.UnmarshalBinary(sum[:]); err != nil {
		tb.Fatal(err)
	}
	g, err := custody.NewGroup(1, []kyber.Point{custody.Suite().G2().Point().Mul(x, nil)})
	if err != nil {
		tb.Fatal(err)
	}
	return &Network{Tree: tree, Group: g, share: ks}
}

// Encrypter is what a station writes key blocks with.
func (n *Network) Encrypter(tb testing.TB) *playertree.Encrypter {
	tb.Helper()
	e, err := playertree.NewEncrypter(n.Group.Key(), n.Tree)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// Enroll extracts leaf's device keys, checked against the group key.
func (n *Network) Enroll(tb testing.TB, leaf uint32) *playertree.DeviceKeys {
	tb.Helper()
	path, err := n.Tree.PathOf(leaf)
	if err != nil {
		tb.Fatal(err)
	}
	k := &playertree.DeviceKeys{Tree: n.Tree, Leaf: leaf}
	for _, node := range path {
		p, err := playertree.PartialExtract(n.Tree, node, n.share)
		if err != nil {
			tb.Fatal(err)
		}
		key, err := playertree.CombineExtract(n.Tree, node, n.Group, []custody.Partial{p})
		if err != nil {
			tb.Fatal(err)
		}
		k.Keys = append(k.Keys, key)
	}
	if err := k.Verify(n.Group.Key()); err != nil {
		tb.Fatal(err)
	}
	return k
}

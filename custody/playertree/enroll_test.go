package playertree

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"copystation/custody"
)

// TestEnrollFiles: two of three nodes' sealed partials make a leaf's
// device keys that open a block for it; a node's wrong partial is skipped
// when enough others remain; another maker, or a file edited to name
// another leaf, opens nothing.
func TestEnrollFiles(t *testing.T) {
	nw := newNetwork(t, 2, 3)
	tr := Tree{ID: "files", Depth: 6}
	const leaf = 41
	maker, _ := ecdh.X25519().GenerateKey(rand.Reader)
	var files [][]byte
	for i := range 3 {
		ps, err := Extract(tr, leaf, nw.shares[i])
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			ps[3].Sig[5] ^= 1 // a wrong partial at depth 3
		}
		f, err := SealPartials(maker.PublicKey(), tr, leaf, ps)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var byNode [][]custody.Partial
	for _, f := range files {
		gt, gl, ps, err := OpenPartials(maker, f)
		if err != nil || gt != tr || gl != leaf {
			t.Fatalf("OpenPartials() = %v, %d, %v, want tree %v leaf %d", gt, gl, err, tr, leaf)
		}
		byNode = append(byNode, ps)
	}
	k, err := Combine(tr, leaf, nw.g, byNode)
	if err != nil {
		t.Fatalf("Combine(3 nodes, one wrong partial) = %v", err)
	}
	dk := bytes.Repeat([]byte{9}, DiscKeySize)
	blk, err := Build(nw.group(), tr, []uint32{40}, []byte("m"), dk, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(k, blk, []byte("m")); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Open(combined keys) = %x, %v, want %x", got, err, dk)
	}
	if _, err := Combine(tr, leaf, nw.g, byNode[1:2]); !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Errorf("Combine(one node) = %v, want %v", err, custody.ErrNotEnoughShares)
	}
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if _, _, _, err := OpenPartials(other, files[0]); !errors.Is(err, ErrPartials) {
		t.Errorf("OpenPartials(another maker) = %v, want %v", err, ErrPartials)
	}
	moved := bytes.Clone(files[0])
	moved[len(partialsHeader(tr, leaf))-1] ^= 1 // leaf 41 → 40: the HPKE info differs
	if _, _, _, err := OpenPartials(maker, moved); !errors.Is(err, ErrPartials) {
		t.Errorf("OpenPartials(file relabelled for another leaf) = %v, want %v", err, ErrPartials)
	}
}

// FuzzOpenPartials: no input panics the partials decoder; whatever opens
// is for a leaf of a valid tree, with one partial per path node.
func FuzzOpenPartials(f *testing.F) {
	maker, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		f.Fatal(err)
	}
	tr := Tree{ID: "fuzz", Depth: 2}
	ps := make([]custody.Partial, 3)
	for i := range ps {
		ps[i].Node = i
	}
	good, err := SealPartials(maker.PublicKey(), tr, 3, ps)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, leaf, ps, err := OpenPartials(maker, b)
		if err != nil {
			return
		}
		if _, err := tr.PathOf(leaf); err != nil || len(ps) != int(tr.Depth)+1 {
			t.Fatalf("OpenPartials() = tree %v leaf %d, %d partials", tr, leaf, len(ps))
		}
	})
}

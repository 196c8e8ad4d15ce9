package playertree

import (
	"bytes"
	"crypto/rand"
	"testing"

	"go.dedis.ch/kyber/v4/encrypt/ibe"

	"copystation/custody"
)

// TestEncryptMatchesKyber: the Encrypter's Boneh–Franklin encryption, with
// its cached pairing, is kyber's: kyber's DecryptCCAonG2 opens it with the
// node's extracted key, the second time (cache hit) as the first, and
// refuses it with another node's key or an altered part.
func TestEncryptMatchesKyber(t *testing.T) {
	nw := newNetwork(t, 2, 3)
	tr := Tree{ID: "kyber", Depth: 4}
	p := nw.enroll(t, tr, 5, 0, 2)
	e, err := NewEncrypter(nw.group(), tr)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("a 32-byte block key for entry X.")
	for d := range tr.Depth + 1 {
		n := tr.Ancestor(p.Leaf, d)
		priv, err := custody.ParseG1(p.Keys[d])
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			sigma := make([]byte, len(msg))
			rand.Read(sigma)
			ct, err := e.encrypt(n, msg, sigma)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ibe.DecryptCCAonG2(suite, priv, ct)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("DecryptCCAonG2(node %d/%d, round %d) = %q, %v, want %q", n.Depth, n.Path, round, got, err, msg)
			}
			other, _ := custody.ParseG1(p.Keys[(d+1)%(tr.Depth+1)])
			if _, err := ibe.DecryptCCAonG2(suite, other, ct); err == nil {
				t.Fatalf("DecryptCCAonG2 with another node's key opened node %d/%d's entry", n.Depth, n.Path)
			}
			ct.W[0] ^= 1
			if _, err := ibe.DecryptCCAonG2(suite, priv, ct); err == nil {
				t.Fatalf("DecryptCCAonG2 opened an altered entry of node %d/%d", n.Depth, n.Path)
			}
		}
	}
}

// TestEncrypterReuse: blocks from one Encrypter (pairings cached across
// discs and revoked sets) open for exactly the players they should.
func TestEncrypterReuse(t *testing.T) {
	nw := newNetwork(t, 2, 3)
	tr := Tree{ID: "reuse", Depth: 5}
	e, err := NewEncrypter(nw.group(), tr)
	if err != nil {
		t.Fatal(err)
	}
	good, bad := nw.enroll(t, tr, 9, 0, 1), nw.enroll(t, tr, 20, 1, 2)
	for i, revoked := range [][]uint32{nil, {20}, {20, 3}, {3}} {
		media, dk := []byte{byte(i), 'm'}, bytes.Repeat([]byte{byte(i + 1)}, DiscKeySize)
		blk, err := e.Build(revoked, media, dk, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Open(good, blk, media); err != nil || !bytes.Equal(got, dk) {
			t.Fatalf("disc %d: Open(unrevoked) = %x, %v, want %x", i, got, err, dk)
		}
		_, err = Open(bad, blk, media)
		if isRevoked := len(revoked) > 0 && revoked[0] == 20; isRevoked != (err != nil) {
			t.Fatalf("disc %d (revoked %v): Open(leaf 20) error %v", i, revoked, err)
		}
	}
}

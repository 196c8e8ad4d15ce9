package custody

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"
)

// testTitle deals a title of segs segments, t of 4, to fresh custody keys.
func testTitle(tb testing.TB, segs, thr int) (Title, []*ecdh.PrivateKey, *Dealt) {
	tb.Helper()
	title := Title{ChainID: "chain", TitleID: "title-1", Segments: segs}
	privs := make([]*ecdh.PrivateKey, 4)
	pubs := make([]*ecdh.PublicKey, 4)
	for i := range privs {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		privs[i], pubs[i] = k, k.PublicKey()
	}
	d, err := Deal(title, thr, pubs)
	if err != nil {
		tb.Fatalf("Deal: %v", err)
	}
	return title, privs, d
}

func openAll(tb testing.TB, title Title, privs []*ecdh.PrivateKey, d *Dealt) []*TitleShares {
	tb.Helper()
	out := make([]*TitleShares, len(privs))
	for i, k := range privs {
		ts, err := OpenShares(k, title, i, d.Blobs[i], d.Roots[i])
		if err != nil {
			tb.Fatalf("OpenShares(node %d): %v", i, err)
		}
		out[i] = ts
	}
	return out
}

func testCodeword(tb testing.TB, segs int, seed byte) Codeword {
	tb.Helper()
	cw, err := DeriveCodeword(Signature{seed}, segs)
	if err != nil {
		tb.Fatal(err)
	}
	return cw
}

// TestReleaseCombine: any t nodes' releases give the issuer's base key and
// exactly the variant keys the codeword selects, through the encodings.
func TestReleaseCombine(t *testing.T) {
	const segs = 64
	title, privs, d := testTitle(t, segs, 2)
	shares := openAll(t, title, privs, d)
	cw := testCodeword(t, segs, 7)
	var ones int
	for s := 0; s < segs; s++ {
		ones += cw.Bit(s)
	}
	if ones == 0 || ones == segs {
		t.Fatalf("codeword selects one variant everywhere (%d ones); pick another seed", ones)
	}
	for _, set := range [][]int{{0, 1}, {2, 3}, {3, 0}} {
		var rels []*Release
		for _, i := range set {
			r, err := shares[i].Release(title.TitleID, cw)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := r.MarshalBinary()
			if len(b) != ReleaseLen(segs) {
				t.Errorf("len(release) = %d, want ReleaseLen = %d", len(b), ReleaseLen(segs))
			}
			if r, err = UnmarshalRelease(b); err != nil {
				t.Fatalf("UnmarshalRelease: %v", err)
			}
			rels = append(rels, r)
		}
		keys, rejected, err := CombineKeys(title, d.Roots, 2, rels, cw)
		if err != nil || len(rejected) != 0 {
			t.Fatalf("CombineKeys(%v) = %v, rejected %v", set, err, rejected)
		}
		if keys.Base != d.Keys.Base {
			t.Errorf("CombineKeys(%v).Base = %x, want %x", set, keys.Base, d.Keys.Base)
		}
		for s := 0; s < segs; s++ {
			if want := d.Keys.Variants[s][cw.Bit(s)]; keys.Segments[s] != want || keys.Variant[s] != cw.Bit(s) {
				t.Fatalf("segment %d: key %x variant %d, want %x variant %d", s, keys.Segments[s], keys.Variant[s], want, cw.Bit(s))
			}
		}
	}
}

// TestReleaseHoldsNoUnselectedShare: no 32-byte window of a node's encoded
// release is its share of an unselected variant key, and interpolating the
// sibling hashes as if they were shares gives no unselected key.
func TestReleaseHoldsNoUnselectedShare(t *testing.T) {
	const segs = 32
	title, privs, d := testTitle(t, segs, 2)
	shares := openAll(t, title, privs, d)
	cw := testCodeword(t, segs, 9)
	var fakes []*Release
	for _, ts := range shares[:2] {
		r, _ := ts.Release(title.TitleID, cw)
		b, _ := r.MarshalBinary()
		for s := 0; s < segs; s++ {
			unsel := ts.y[KeyIndex(s, 1-cw.Bit(s))]
			for off := 0; off+ScalarLen <= len(b); off++ {
				if bytes.Equal(b[off:off+ScalarLen], unsel[:]) {
					t.Fatalf("node %d's release holds its share of segment %d's unselected variant at byte %d", ts.Node, s, off)
				}
			}
		}
		fake := &Release{Node: r.Node, Base: r.Base, Selected: make([][ScalarLen]byte, segs)}
		for s := range fake.Selected {
			fake.Selected[s] = r.Siblings[s]
			fake.Selected[s][0] &= 0x0f // make it a canonical scalar
		}
		fakes = append(fakes, fake)
	}
	lambda := lagrangeAtZero(fakes)
	for s := 0; s < segs; s++ {
		k := interpolate(lambda, fakes, func(r *Release) []byte { return r.Selected[s][:] })
		if k == d.Keys.Variants[s][0] || k == d.Keys.Variants[s][1] {
			t.Fatalf("segment %d: sibling hashes interpolate to a variant key", s)
		}
	}
}

// TestCombineKeysWrongShare: a node whose release does not match its root is
// named with ErrBadShare and another node's release is used.
func TestCombineKeysWrongShare(t *testing.T) {
	const segs = 16
	title, privs, d := testTitle(t, segs, 2)
	shares := openAll(t, title, privs, d)
	cw := testCodeword(t, segs, 3)
	var rels []*Release
	for _, ts := range shares {
		r, _ := ts.Release(title.TitleID, cw)
		rels = append(rels, r)
	}
	rels[0].Selected[5][31] ^= 1
	if err := VerifyRelease(title, d.Roots[0], rels[0], cw); !errors.Is(err, ErrBadShare) {
		t.Errorf("VerifyRelease(tampered) = %v, want ErrBadShare", err)
	}
	if err := VerifyRelease(title, d.Roots[1], rels[1], testCodeword(t, segs, 4)); !errors.Is(err, ErrBadShare) {
		t.Errorf("VerifyRelease(another codeword) = %v, want ErrBadShare", err)
	}
	keys, rejected, err := CombineKeys(title, d.Roots, 2, rels, cw)
	if err != nil {
		t.Fatalf("CombineKeys with one wrong node: %v", err)
	}
	if len(rejected) != 1 || rejected[0].Node != 0 || !errors.Is(rejected[0], ErrBadShare) {
		t.Errorf("rejected = %v, want node 0 with ErrBadShare", rejected)
	}
	if keys.Base != d.Keys.Base || keys.Segments[5] != d.Keys.Variants[5][cw.Bit(5)] {
		t.Error("CombineKeys with one wrong node gave wrong keys")
	}
}

// TestOneNodeAlone: one node's whole holding — its title shares, its DKG
// share — yields neither a title key nor a copy signature.
func TestOneNodeAlone(t *testing.T) {
	const segs = 8
	title, privs, d := testTitle(t, segs, 2)
	shares := openAll(t, title, privs, d)
	cw := testCodeword(t, segs, 1)
	r, _ := shares[2].Release(title.TitleID, cw)
	if _, _, err := CombineKeys(title, d.Roots, 2, []*Release{r, r}, cw); !errors.Is(err, ErrNotEnoughShares) {
		t.Errorf("CombineKeys(one node, twice) = %v, want ErrNotEnoughShares", err)
	}
	if _, _, err := CombineKeys(title, d.Roots, 1, []*Release{r}, cw); !errors.Is(err, ErrThreshold) {
		t.Errorf("CombineKeys(t=1 of 4) = %v, want ErrThreshold", err)
	}
	res := testNetwork(t, 4, 2)
	label := copyLabel(t, "job")
	if _, _, err := Combine(res[2].Group, label, partials(t, res, label, 2)); !errors.Is(err, ErrNotEnoughShares) {
		t.Errorf("Combine(one node) = %v, want ErrNotEnoughShares", err)
	}
	// A node releases only for a σ that verifies for the label it built.
	if _, err := shares[2].ReleaseFor(title.TitleID, res[2].Group, label, Signature{1}, nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ReleaseFor(forged σ) = %v, want ErrBadSignature", err)
	}
}

// TestOpenSharesRejects: a blob for another node or title, a wrong root, or
// a corrupted blob is ErrBadDeal.
func TestOpenSharesRejects(t *testing.T) {
	title, privs, d := testTitle(t, 4, 2)
	other := title
	other.TitleID = "title-2"
	flipped := bytes.Clone(d.Blobs[1])
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name  string
		title Title
		node  int
		blob  []byte
		root  [32]byte
	}{
		{"another node's blob", title, 1, d.Blobs[0], d.Roots[1]},
		{"another title", other, 1, d.Blobs[1], d.Roots[1]},
		{"wrong root", title, 1, d.Blobs[1], d.Roots[2]},
		{"flipped byte", title, 1, flipped, d.Roots[1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := OpenShares(privs[1], tc.title, tc.node, tc.blob, tc.root); !errors.Is(err, ErrBadDeal) {
				t.Errorf("OpenShares = %v, want ErrBadDeal", err)
			}
		})
	}
}

// TestDealChecks: t against n and the segment count are checked.
func TestDealChecks(t *testing.T) {
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	pubs := []*ecdh.PublicKey{k.PublicKey(), k.PublicKey(), k.PublicKey(), k.PublicKey()}
	if _, err := Deal(Title{"c", "t", 4}, 1, pubs); !errors.Is(err, ErrThreshold) {
		t.Errorf("Deal(t=1 of 4) = %v, want ErrThreshold", err)
	}
	if _, err := Deal(Title{"c", "t", 0}, 2, pubs); !errors.Is(err, ErrCodeword) {
		t.Errorf("Deal(0 segments) = %v, want ErrCodeword", err)
	}
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, err := Deal(Title{"c", "t", 1}, 2, append(pubs[:3:3], p256.PublicKey())); !errors.Is(err, ErrBadDeal) {
		t.Errorf("Deal(P-256 custody key) = %v, want ErrBadDeal", err)
	}
}

// TestMerkleRFC6962: the root of three leaves is H(1‖H(1‖a‖b)‖c).
func TestMerkleRFC6962(t *testing.T) {
	a, b, c := [32]byte{1}, [32]byte{2}, [32]byte{3}
	h := func(l, r [32]byte) [32]byte { return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...)) }
	if got := merkleRoot([][32]byte{a, b}); got != h(a, b) {
		t.Errorf("merkleRoot(a,b) = %x, want SHA-256(0x01‖a‖b)", got)
	}
	if got, want := merkleRoot([][32]byte{a, b, c}), h(h(a, b), c); got != want {
		t.Errorf("merkleRoot(a,b,c) = %x, want %x", got, want)
	}
	if got, want := merkleRoot([][32]byte{a, b, c, a, b}), h(h(h(a, b), h(c, a)), b); got != want {
		t.Errorf("merkleRoot(5 leaves) = %x, want %x", got, want)
	}
}

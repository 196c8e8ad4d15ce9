package playertree

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
)

// network is t-of-n validation nodes after a real in-process DKG: the
// tree sees only their key shares and the public group.
type network struct {
	shares []*custody.KeyShare
	g      *custody.Group
}

func newNetwork(t testing.TB, th, n int) *network {
	t.Helper()
	cc := custody.CeremonyConfig{Threshold: th, Nonce: make([]byte, 32)}
	rand.Read(cc.Nonce)
	var keys []*custody.DKGKey
	for range n {
		k := custody.NewDKGKey()
		p, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		keys, cc.Nodes = append(keys, k), append(cc.Nodes, p)
	}
	res, err := custody.RunInProcess(cc, keys)
	if err != nil {
		t.Fatal(err)
	}
	nw := &network{g: res[0].Group}
	for _, r := range res {
		nw.shares = append(nw.shares, r.Share)
	}
	return nw
}

func (nw *network) group() kyber.Point { return nw.g.Key() }

// enroll extracts a player's keys from the partials of the nodes listed.
func (nw *network) enroll(t testing.TB, tr Tree, leaf uint32, nodes ...int) *DeviceKeys {
	t.Helper()
	path, err := tr.PathOf(leaf)
	if err != nil {
		t.Fatal(err)
	}
	k := &DeviceKeys{Tree: tr, Leaf: leaf}
	for _, n := range path {
		var partials []custody.Partial
		for _, i := range nodes {
			p, err := PartialExtract(tr, n, nw.shares[i])
			if err != nil {
				t.Fatal(err)
			}
			partials = append(partials, p)
		}
		key, err := CombineExtract(tr, n, nw.g, partials)
		if err != nil {
			t.Fatal(err)
		}
		k.Keys = append(k.Keys, key)
	}
	return k
}

func TestCoverSmall(t *testing.T) {
	tr := Tree{ID: "t", Depth: 3}
	tests := []struct {
		name    string
		revoked []uint32
		want    []Node
	}{
		{"none", nil, []Node{{0, 0}}},
		{"leaf 0", []uint32{0}, []Node{{1, 1}, {2, 1}, {3, 1}}},
		{"leaves 0 and 7", []uint32{0, 7}, []Node{{2, 1}, {2, 2}, {3, 1}, {3, 6}}},
		{"siblings 2 and 3", []uint32{2, 3}, []Node{{1, 1}, {2, 0}}},
		{"all", []uint32{0, 1, 2, 3, 4, 5, 6, 7}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tr.Cover(tc.revoked)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Cover(%v) = %v, want %v", tc.revoked, got, tc.want)
			}
		})
	}
}

// TestCoverExact: every unrevoked leaf lies under exactly one cover node,
// every revoked leaf under none.
func TestCoverExact(t *testing.T) {
	tr := Tree{ID: "t", Depth: 10}
	r := mrand.New(mrand.NewPCG(1, 2))
	for range 20 {
		revoked := map[uint32]bool{}
		for range r.IntN(40) {
			revoked[uint32(r.IntN(1<<10))] = true
		}
		var list []uint32
		for l := range revoked {
			list = append(list, l)
		}
		cover, err := tr.Cover(list)
		if err != nil {
			t.Fatal(err)
		}
		in := map[Node]bool{}
		for _, n := range cover {
			in[n] = true
		}
		for leaf := range uint32(1 << 10) {
			hits := 0
			for d := uint8(0); d <= tr.Depth; d++ {
				if in[tr.Ancestor(leaf, d)] {
					hits++
				}
			}
			if want := map[bool]int{true: 0, false: 1}[revoked[leaf]]; hits != want {
				t.Fatalf("leaf %d (revoked %v) under %d cover nodes, want %d", leaf, revoked[leaf], hits, want)
			}
		}
	}
}

// TestRevocation is the property players rely on: a player revoked after a
// disc was written still opens that disc and no disc written after; a
// player not revoked opens both.
func TestRevocation(t *testing.T) {
	nw := newNetwork(t, 2, 4)
	tr := Tree{ID: "players-1", Depth: 8}
	leaked := nw.enroll(t, tr, 37, 0, 1)
	good := nw.enroll(t, tr, 200, 2, 3)
	mediaID := []byte("media-1")
	discKey := bytes.Repeat([]byte{7}, DiscKeySize)

	before, err := Build(nw.group(), tr, nil, mediaID, discKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	after, err := Build(nw.group(), tr, []uint32{37}, mediaID, discKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		player *DeviceKeys
		block  []byte
		want   error
	}{
		{"leaked player, disc before revocation", leaked, before, nil},
		{"leaked player, disc after revocation", leaked, after, ErrRevoked},
		{"good player, disc before", good, before, nil},
		{"good player, disc after", good, after, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Open(tc.player, tc.block, mediaID)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
			if err == nil && !bytes.Equal(got, discKey) {
				t.Fatalf("Open = %x, want the disc key %x", got, discKey)
			}
		})
	}
}

// TestBlockBoundToDisc: a block copied to another blank, or altered, does
// not open.
func TestBlockBoundToDisc(t *testing.T) {
	nw := newNetwork(t, 2, 4)
	tr := Tree{ID: "players-1", Depth: 6}
	p := nw.enroll(t, tr, 5, 1, 3)
	block, err := Build(nw.group(), tr, []uint32{9, 40}, []byte("media-A"), bytes.Repeat([]byte{1}, 32), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p, block, []byte("media-B")); !errors.Is(err, ErrKeyBlock) {
		t.Errorf("Open on another media ID = %v, want ErrKeyBlock", err)
	}
	for _, off := range []int{len(block) - 1, len(block) - 60, 20} {
		bad := bytes.Clone(block)
		bad[off] ^= 1
		if _, err := Open(p, bad, []byte("media-A")); err == nil {
			t.Errorf("Open with byte %d flipped succeeded", off)
		}
	}
	other := Tree{ID: "players-2", Depth: 6}
	q := nw.enroll(t, other, 5, 0, 1)
	if _, err := Open(q, block, []byte("media-A")); !errors.Is(err, ErrOtherTree) {
		t.Errorf("Open by another tree's player = %v, want ErrOtherTree", err)
	}
}

// TestExtraction: a node's wrong partial is caught and another node's
// used; one node alone extracts nothing.
func TestExtraction(t *testing.T) {
	nw := newNetwork(t, 2, 4)
	tr := Tree{ID: "players-1", Depth: 4}
	n := Node{Depth: 2, Path: 1}
	good := func(i int) custody.Partial {
		p, err := PartialExtract(tr, n, nw.shares[i])
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrong, err := PartialExtract(tr, Node{Depth: 2, Path: 2}, nw.shares[1]) // node 1 signs another label
	if err != nil {
		t.Fatal(err)
	}
	key, err := CombineExtract(tr, n, nw.g, []custody.Partial{wrong, good(2), good(3)})
	if err != nil {
		t.Fatalf("CombineExtract with one wrong partial of three = %v", err)
	}
	if err := VerifyNodeKey(tr, n, nw.group(), key); err != nil {
		t.Fatal(err)
	}
	if _, err := CombineExtract(tr, n, nw.g, []custody.Partial{wrong, good(2)}); !errors.Is(err, custody.ErrNotEnoughShares) || !errors.Is(err, custody.ErrBadPartial) {
		t.Errorf("CombineExtract with one valid partial = %v, want ErrNotEnoughShares naming the bad partial", err)
	}
	if _, err := CombineExtract(tr, n, nw.g, []custody.Partial{good(0), good(0)}); !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Errorf("CombineExtract with one node's partial twice = %v, want ErrNotEnoughShares", err)
	}
}

func TestDeviceKeysEncoding(t *testing.T) {
	nw := newNetwork(t, 2, 4)
	tr := Tree{ID: "players-1", Depth: 5}
	k := nw.enroll(t, tr, 17, 0, 2)
	b, err := k.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDeviceKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(nw.group()); err != nil {
		t.Fatalf("Verify(parsed keys) = %v", err)
	}
	got.Keys[3] = bytes.Clone(got.Keys[2])
	if err := got.Verify(nw.group()); !errors.Is(err, ErrNodeKey) {
		t.Errorf("Verify(keys with a wrong node key) = %v, want ErrNodeKey", err)
	}
	for _, cut := range []int{0, 1, 5, len(b) - 1} {
		if _, err := ParseDeviceKeys(b[:cut]); !errors.Is(err, ErrDeviceKeys) {
			t.Errorf("ParseDeviceKeys(%d of %d bytes) = %v, want ErrDeviceKeys", cut, len(b), err)
		}
	}
}

func TestLabelsDistinct(t *testing.T) {
	a := Tree{ID: "ab", Depth: 4}
	b := Tree{ID: "a", Depth: 4}
	seen := map[string]Node{}
	for _, tr := range []Tree{a, b} {
		for d := uint8(0); d <= 4; d++ {
			for p := range uint32(1) << d {
				b, err := tr.Label(Node{d, p})
				if err != nil {
					t.Fatal(err)
				}
				l := string(b)
				if _, dup := seen[l]; dup {
					t.Fatalf("label of %s %d/%d repeats", tr.ID, d, p)
				}
				seen[l] = Node{d, p}
			}
		}
	}
}

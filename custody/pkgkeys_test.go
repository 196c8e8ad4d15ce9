package custody

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/keys"
)

// TestDealtPackage: a package made under the issuer's dealt keys, with the
// deal's roots in its manifest, opens under the keys t nodes' releases
// combine to, checked against the manifest's roots: the base image and the
// variant the codeword selects in every segment; the other variant of every
// segment is ErrNoKey, and under the one key the copy holds for that
// segment it fails authentication.
func TestDealtPackage(t *testing.T) {
	const segs = 6
	title, privs, d := testTitle(t, segs, 2)
	img := make([]byte, 200*titlepkg.SectorSize)
	rand.Read(img)
	spec := titlepkg.Spec{TitleID: title.TitleID, Image: bytes.NewReader(img), ImageSize: int64(len(img)),
		Keys: d.Keys.PackageKeys(), ShareRoots: d.Roots, ChunkSize: titlepkg.MinChunkSize, Rand: rand.Reader}
	for s := range segs {
		b := make([]byte, 3*titlepkg.SectorSize)
		rand.Read(b)
		spec.Variants = append(spec.Variants, titlepkg.Variant{Start: uint64(10 + 30*s), B: b})
	}
	dir := t.TempDir()
	if _, err := titlepkg.Create(dir, spec); err != nil {
		t.Fatalf("titlepkg.Create(dealt keys) = %v", err)
	}
	spec.Keys.Wipe()
	d.Keys.Wipe()
	path := filepath.Join(dir, titlepkg.FileName(title.TitleID))

	// The station reads the roots from the manifest before it holds a key.
	raw, _ := os.ReadFile(path)
	n, err := titlepkg.ManifestLen(raw)
	if err != nil {
		t.Fatal(err)
	}
	m, err := titlepkg.ParseManifest(raw[:n])
	if err != nil || len(m.ShareRoots) != 4 || m.ShareRoots[2] != d.Roots[2] {
		t.Fatalf("ParseManifest = %v, %d roots; want the deal's 4 roots", err, len(m.ShareRoots))
	}
	shares := openAll(t, title, privs, d)
	cw := testCodeword(t, segs, 3)
	var rels []*Release
	for _, i := range []int{3, 1} {
		r, err := shares[i].Release(title.TitleID, cw)
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	ck, rejected, err := CombineKeys(title, m.ShareRoots, 2, rels, cw)
	if err != nil || len(rejected) != 0 {
		t.Fatalf("CombineKeys = %v, rejected %v", err, rejected)
	}
	given := ck.PackageKeys()
	ck.Wipe()
	p, err := titlepkg.Open(path, given)
	if err != nil {
		t.Fatalf("titlepkg.Open(combined keys) = %v, want the manifest MAC to verify", err)
	}
	defer p.Close()
	swapped := &titlepkg.Keys{Base: given.Base, Variants: make([][2][]byte, segs)}
	for s := range segs {
		swapped.Variants[s][1-cw.Bit(s)] = given.Variants[s][cw.Bit(s)]
	}
	q, err := titlepkg.Open(path, swapped)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	buf := make([]byte, p.ChunkBufSize())
	var opened, refused int
	for i := range m.ChunkCount {
		_, _, err := p.ReadChunk(i, buf)
		r := p.Region(i)
		if r == titlepkg.BaseRegion || func() bool { s, v := r.Segment(); return v == cw.Bit(s) }() {
			if err != nil {
				t.Fatalf("ReadChunk(%d, region %v) = %v, want it to open", i, r, err)
			}
			opened++
			continue
		}
		if !errors.Is(err, titlepkg.ErrNoKey) {
			t.Fatalf("ReadChunk(%d, unselected variant) = %v, want ErrNoKey", i, err)
		}
		if _, _, err := q.ReadChunk(i, buf); !errors.Is(err, titlepkg.ErrAuth) {
			t.Fatalf("ReadChunk(%d, unselected variant under the selected key) = %v, want ErrAuth", i, err)
		}
		refused++
	}
	if refused != segs || opened <= segs {
		t.Errorf("opened %d chunks, refused %d, want every unselected variant (%d) refused", opened, refused, segs)
	}
}

// TestSealedSharesLen: the size the contract insists on is the size Deal
// makes, and the largest release fits keys.MaxReleaseLen.
func TestSealedSharesLen(t *testing.T) {
	for _, segs := range []int{1, 7, 100} {
		_, _, d := testTitle(t, segs, 2)
		d.Keys.Wipe()
		for i, b := range d.Blobs {
			if len(b) != SealedSharesLen(segs) {
				t.Errorf("len(Deal(%d segments).Blobs[%d]) = %d, want SealedSharesLen = %d", segs, i, len(b), SealedSharesLen(segs))
			}
		}
	}
	if got := ReleaseLen(titlepkg.MaxSegments); got != keys.MaxReleaseLen {
		t.Errorf("ReleaseLen(%d) = %d, keys.MaxReleaseLen = %d; want equal", titlepkg.MaxSegments, got, keys.MaxReleaseLen)
	}
}

// TestDealFile: the public part of a deal round-trips, and the node's
// shares open from the decoded file as from the deal.
func TestDealFile(t *testing.T) {
	title, privs, d := testTitle(t, 5, 2)
	d.Keys.Wipe()
	b, err := d.Public(title).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	f, err := UnmarshalDealFile(b)
	if err != nil || f.Title != title || len(f.Roots) != 4 {
		t.Fatalf("UnmarshalDealFile = %+v, %v; want the deal for %+v", f, err, title)
	}
	ts, err := OpenShares(privs[2], f.Title, 2, f.Blobs[2], f.Roots[2])
	if err != nil {
		t.Fatalf("OpenShares(from the deal file) = %v", err)
	}
	ts.Wipe()
	if _, err := UnmarshalDealFile(b[:len(b)-1]); !errors.Is(err, ErrEncoding) {
		t.Errorf("UnmarshalDealFile(truncated) = %v, want ErrEncoding", err)
	}
}

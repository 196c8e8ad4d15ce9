package disc_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/encrypt/ibe"

	"copystation/burn/disc"
	"copystation/burn/sector"
	"copystation/custody"
	"copystation/custody/playertree"
	"copystation/internal/docexample"
)

// Fixed inputs of the worked examples.
var (
	exSigma       = seq(0x00, 48) // σ_copy as the derivation takes it: its 48 bytes
	exGroupSecret = seq(0x01, 32) // the example group's secret x
	exTree        = playertree.Tree{ID: "doc-tree", Depth: 2}
	exRevoked     = []uint32{3}
	exMedia       = []byte("MEDIA-ID-0123456")
	exCodeword    = []byte{0xB5, 0x3C, 0x9A} // 20 segments: the last 4 bits are padding
)

const (
	exJob     = "job-1"
	exAttempt = 1
	exCluster = 258 // image cluster of the sector example
)

func seq(first byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

func mustHKDF(t *testing.T, secret []byte, info string) []byte {
	t.Helper()
	k, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustGCM(t *testing.T, key []byte) cipher.AEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// examples returns the generated markdown, failing t where the code and the
// documented construction disagree.
func examples(t *testing.T) string {
	var sb strings.Builder
	dk := keyExamples(t, &sb)
	kb := keyBlockExample(t, &sb, dk)
	headerExample(t, &sb, dk, kb)
	sectorExample(t, &sb, dk)
	return sb.String()
}

func keyExamples(t *testing.T, sb *strings.Builder) []byte {
	d, err := custody.DiscKey(custody.Signature(exSigma), exAttempt, exMedia)
	if err != nil {
		t.Fatal(err)
	}
	dk := d[:]
	info := binary.BigEndian.AppendUint32([]byte("copystation disc key v2"), exAttempt)
	info = append(info, exMedia...)
	if indep := mustHKDF(t, exSigma, string(info)); !bytes.Equal(indep, dk) {
		t.Fatalf("custody.DiscKey() = %x, HKDF with the documented info = %x", dk, indep)
	}
	fmt.Fprintf(sb, "\n### Disc key derivation\n\nσ_copy `%x` (48 bytes as the station combined them; the derivation does not decode the point), attempt %d, media ID `%s` (hex `%x`):\n\n",
		exSigma, exAttempt, exMedia, exMedia)
	fmt.Fprintf(sb, "```\nHKDF info (%d bytes):\n%sDK = %x\n```\n", len(info), docexample.HexDump(info), dk)
	fmt.Fprintf(sb, "\nKeys derived from DK:\n\n```\n")
	for _, l := range []string{"copystation disc v1 header key", "copystation disc v1 sector key", "copystation disc v1 cluster mac key"} {
		fmt.Fprintf(sb, "%-36s %x\n", l, mustHKDF(t, dk, l))
	}
	sb.WriteString("```\n")
	return dk
}

// seqReader is the examples' randomness: bytes counting up from next.
type seqReader struct{ next byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// keyBlockExample builds a version-2 block for a one-node group whose
// secret is exGroupSecret, opens it as the documented construction says
// with the device keys of leaf 0, and checks playertree.Open agrees.
func keyBlockExample(t *testing.T, sb *strings.Builder, dk []byte) []byte {
	ks, err := custody.UnmarshalKeyShare(append(append([]byte{0, 24}, "copystation key share v1"...), append([]byte{0, 0}, exGroupSecret...)...))
	if err != nil {
		t.Fatal(err)
	}
	x := custody.Suite().G2().Scalar()
	if err := x.UnmarshalBinary(exGroupSecret); err != nil {
		t.Fatal(err)
	}
	X := custody.Suite().G2().Point().Mul(x, nil)
	g, err := custody.NewGroup(1, []kyber.Point{X})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := playertree.Build(X, exTree, exRevoked, exMedia, dk, &seqReader{next: 0x40})
	if err != nil {
		t.Fatal(err)
	}
	player := &playertree.DeviceKeys{Tree: exTree, Leaf: 0}
	path, _ := exTree.PathOf(0)
	for _, n := range path {
		p, err := playertree.PartialExtract(exTree, n, ks)
		if err != nil {
			t.Fatal(err)
		}
		key, err := playertree.CombineExtract(exTree, n, g, []custody.Partial{p})
		if err != nil {
			t.Fatal(err)
		}
		player.Keys = append(player.Keys, key)
	}
	if got, err := playertree.Open(player, kb, exMedia); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("playertree.Open(leaf 0) = %x, %v, want %x", got, err, dk)
	}
	// The documented reading: entry 0 is node (1, 0), on leaf 0's path.
	head := 2 + len(exTree.ID) + 1 + 4
	e := kb[head : head+playertree.EntrySize]
	u, err := custody.ParseG2(e[5 : 5+96])
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := custody.ParseG1(player.Keys[1])
	bk, err := ibe.DecryptCCAonG2(custody.Suite(), priv, &ibe.Ciphertext{U: u, V: e[101:133], W: e[133:165]})
	if err != nil {
		t.Fatal(err)
	}
	end := len(kb) - 48
	aad := append([]byte("copystation disc key block v2"), byte(len(exMedia)))
	aad = append(aad, exMedia...)
	sum := sha256.Sum256(kb[:end])
	aad = append(aad, sum[:]...)
	if got, err := mustGCM(t, bk).Open(nil, make([]byte, 12), kb[end:], aad); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("the documented key block construction does not open playertree.Build's block: %v", err)
	}
	xb, _ := X.MarshalBinary()
	fmt.Fprintf(sb, "\n### Disc key block (version 2)\n\nFor the example only, a one-node group (t = n = 1) whose secret is x = `%x`; its group key X = x·G2:\n\n```\n%s```\n\n", exGroupSecret, docexample.HexDump(xb))
	fmt.Fprintf(sb, "Tree `%s` of depth %d (4 players), leaf %d revoked: the cover is node (1, 0) and node (2, 2). The block key and each entry's sigma are the bytes `40 41 42 …` in turn (a station draws them at random): block key `%x`, sigma of entry 0 `%x`, of entry 1 `%x`. The disc key is the DK above, the media ID the one above.\n\n",
		exTree.ID, exTree.Depth, exRevoked[0], seq(0x40, 32), seq(0x60, 32), seq(0x80, 32))
	fmt.Fprintf(sb, "```\nblock (%d bytes):\n%s```\n\n", len(kb), docexample.HexDump(kb))
	sb.WriteString("| offset | size | field | value |\n| --- | --- | --- | --- |\n")
	row := func(off, size int, name, v string) { fmt.Fprintf(sb, "| %d | %d | %s | %s |\n", off, size, name, v) }
	row(0, 1, "version", fmt.Sprintf("`%02x`", kb[0]))
	row(1, 1, "tree ID length", fmt.Sprintf("`%02x`", kb[1]))
	row(2, len(exTree.ID), "tree ID", fmt.Sprintf("%q", exTree.ID))
	row(head-5, 1, "depth D", fmt.Sprintf("`%02x`", kb[head-5]))
	row(head-4, 4, "cover count m", fmt.Sprintf("`%x`", kb[head-4:head]))
	for i := range 2 {
		o := head + i*playertree.EntrySize
		row(o, 1, fmt.Sprintf("entry %d depth", i), fmt.Sprintf("`%02x`", kb[o]))
		row(o+1, 4, fmt.Sprintf("entry %d path", i), fmt.Sprintf("`%x`", kb[o+1:o+5]))
		row(o+5, 96, fmt.Sprintf("entry %d U", i), fmt.Sprintf("`%x…`", kb[o+5:o+13]))
		row(o+101, 32, fmt.Sprintf("entry %d V", i), fmt.Sprintf("`%x`", kb[o+101:o+133]))
		row(o+133, 32, fmt.Sprintf("entry %d W", i), fmt.Sprintf("`%x`", kb[o+133:o+165]))
	}
	row(end, 32, "wrapped DK", fmt.Sprintf("`%x`", kb[end:end+32]))
	row(end+32, 16, "GCM tag", fmt.Sprintf("`%x`", kb[end+32:]))
	fmt.Fprintf(sb, "\nAAD of the wrapped DK (\"copystation disc key block v2\" ‖ u8(len media ID) ‖ media ID ‖ SHA-256 of bytes 0 to %d):\n\n```\n%s```\n\n", end-1, docexample.HexDump(aad))
	fmt.Fprintf(sb, "Leaf 0's device keys (`playertree.DeviceKeys`, root first; key d = x·H1(label of the path's node at depth d)):\n\n```\n")
	for d, k := range player.Keys {
		fmt.Fprintf(sb, "depth %d  %x\n", d, k)
	}
	fmt.Fprintf(sb, "```\n\nLeaf 0 uses entry 0 (node (1, 0) is on its path): its depth-1 key opens `U ‖ V ‖ W` (kyber `DecryptCCAonG2`) to the block key, which opens the wrapped DK. Leaf 3 finds no entry on its path.\n")
	return kb
}

func headerExample(t *testing.T, sb *strings.Builder, dk, kb []byte) {
	const size = 100 * disc.SectorSize
	hs, err := disc.HeaderSectorsFor(len(kb), 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := disc.NewLayout(0, hs, size)
	if err != nil {
		t.Fatal(err)
	}
	h := &disc.Header{Version: disc.Version, Profile: 0x41, Layers: 1, Finalized: true, Layout: l, ImageSize: size,
		PackageRoot: [32]byte(seq(0xA0, 32)), TitleID: "film-1", CopyID: exJob, MediaID: exMedia, KeyBlock: kb, Codeword: exCodeword}
	region, err := h.Seal(dk)
	if err != nil {
		t.Fatal(err)
	}
	sec := region[:disc.SectorSize]
	if !bytes.Equal(region[disc.SectorSize:disc.SectorSize+len(kb)], kb) || !allZero(region[disc.SectorSize+len(kb):]) {
		t.Fatal("the header region does not hold the key block from its second sector, zeros after")
	}
	n := int(binary.BigEndian.Uint32(sec[12:]))
	sealed := 2 + len(exCodeword) + 16
	// The player's reading: the AAD is every byte before the sealed
	// codeword, its length field included; the nonce is 12 zero bytes.
	cw, err := mustGCM(t, mustHKDF(t, dk, "copystation disc v1 header key")).Open(nil, make([]byte, 12), sec[n-sealed+2:n], sec[:n-sealed+2])
	if err != nil || !bytes.Equal(cw, exCodeword) || !allZero(sec[n:]) {
		t.Fatalf("the documented header seal does not open disc.Header.Seal's header: %x, %v", cw, err)
	}
	p, err := disc.Parse(sec)
	if err != nil || p.SetKeyBlock(region[disc.SectorSize:]) != nil || p.Open(dk) != nil || !bytes.Equal(p.Codeword, exCodeword) {
		t.Fatalf("disc.Parse/Open(example) = %v", err)
	}
	fmt.Fprintf(sb, "\n### Disc header\n\nA 100-sector image (204,800 bytes) written from LBA 0 of a blank BD-R, the format asking for finalisation; title `film-1`, copy `%s`, the media ID and key block above, codeword `%x` (20 segments). The header region is %d sectors (one cluster): the header sector, the %d-byte key block at LBA 1, zeros after. The header sector's first %d bytes (the rest of the sector is zero):\n\n```\n%s```\n\n",
		exJob, exCodeword, hs, len(kb), n, docexample.HexDump(sec[:n]))
	sb.WriteString("| offset | size | field | value |\n| --- | --- | --- | --- |\n")
	row := func(off, size int, name, v string) { fmt.Fprintf(sb, "| %d | %d | %s | %s |\n", off, size, name, v) }
	hx := func(off, size int) string { return fmt.Sprintf("`%x`", sec[off:off+size]) }
	for _, f := range []struct {
		off, size int
		name      string
	}{{0, 8, "magic"}, {8, 2, "version"}, {10, 2, "flags (bit 0: finalise)"}, {12, 4, "header length L"}, {16, 2, "profile"}, {18, 1, "layers"}, {19, 1, "reserved"},
		{20, 4, "S (start LBA)"}, {24, 4, "H"}, {28, 4, "I"}, {32, 4, "T"}, {36, 8, "image size"}, {44, 32, "package root"}} {
		row(f.off, f.size, f.name, hx(f.off, f.size))
	}
	off := 76
	for _, f := range []struct {
		name   string
		prefix int
		body   int
		text   bool
	}{{"title ID", 1, len(h.TitleID), true}, {"copy ID", 2, len(h.CopyID), true}, {"media ID", 1, len(exMedia), true}} {
		row(off, f.prefix, f.name+" length", hx(off, f.prefix))
		v := hx(off+f.prefix, f.body)
		if f.text {
			v = fmt.Sprintf("%q", sec[off+f.prefix:off+f.prefix+f.body])
		} else if f.body > 16 {
			v = "(as above)"
		}
		row(off+f.prefix, f.body, f.name, v)
		off += f.prefix + f.body
	}
	row(off, 4, "disc key block length", hx(off, 4))
	row(off+4, 32, "disc key block SHA-256", hx(off+4, 32))
	off += 36
	row(off, 2, "sealed length", hx(off, 2))
	row(off+2, len(exCodeword), "encrypted codeword", hx(off+2, len(exCodeword)))
	row(off+2+len(exCodeword), 16, "GCM tag", hx(off+2+len(exCodeword), 16))
	fmt.Fprintf(sb, "\nAAD = bytes 0 to %d (%d bytes), nonce = 12 zero bytes, plaintext = codeword `%x`.\n", off+1, off+2, exCodeword)
}

func allZero(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }

func sectorExample(t *testing.T, sb *strings.Builder, dk []byte) {
	c, err := sector.New(dk)
	if err != nil {
		t.Fatal(err)
	}
	first := uint64(exCluster * disc.ClusterSectors)
	pt := make([]byte, disc.ClusterSize) // a cluster of zeros
	ct := make([]byte, disc.ClusterSize)
	if err := c.XOR(ct, pt, first); err != nil {
		t.Fatal(err)
	}
	tag := c.Tag(exCluster, ct)
	// Independently: counter = 128·s as a 128-bit big-endian integer, plain
	// AES-CTR under the sector key; GMAC nonce = 4 zero bytes ‖ cluster as
	// 8 bytes big-endian.
	ctr := make([]byte, 16)
	new(big.Int).Mul(big.NewInt(128), new(big.Int).SetUint64(first)).FillBytes(ctr)
	if cb := sector.CounterBlock(first); !bytes.Equal(cb[:], ctr) {
		t.Fatalf("sector.CounterBlock(%d) = %x, want %x", first, cb, ctr)
	}
	sk, _ := aes.NewCipher(mustHKDF(t, dk, "copystation disc v1 sector key"))
	indep := make([]byte, len(pt))
	cipher.NewCTR(sk, ctr).XORKeyStream(indep, pt)
	nonce := binary.BigEndian.AppendUint64(make([]byte, 4), exCluster)
	itag := mustGCM(t, mustHKDF(t, dk, "copystation disc v1 cluster mac key")).Seal(nil, nonce, nil, ct)
	if !bytes.Equal(indep, ct) || !bytes.Equal(itag, tag[:]) {
		t.Fatalf("the documented sector construction disagrees with burn/sector: ct %x / %x, tag %x / %x", indep[:16], ct[:16], itag, tag)
	}
	last := sector.CounterBlock(first + disc.ClusterSectors - 1)
	lastCtr := new(big.Int).Add(new(big.Int).SetBytes(last[:]), big.NewInt(127))
	fmt.Fprintf(sb, "\n### Sector encryption and cluster tag\n\nImage cluster %d of a larger image (image sectors %d to %d, at LBA S + H + %d), every plaintext byte zero, under the DK above:\n\n```\n",
		exCluster, first, first+disc.ClusterSectors-1, first)
	line := func(k, v string) { fmt.Fprintf(sb, "%-38s %s\n", k, v) }
	line(fmt.Sprintf("counter block, sector %d block 0", first), fmt.Sprintf("%x", ctr))
	line(fmt.Sprintf("counter block, sector %d block 127", first+disc.ClusterSectors-1), fmt.Sprintf("%032x", lastCtr))
	line("ciphertext, first 32 bytes", fmt.Sprintf("%x", ct[:32]))
	line("ciphertext, last 16 bytes", fmt.Sprintf("%x", ct[len(ct)-16:]))
	line("GMAC nonce", fmt.Sprintf("%x", nonce))
	line(fmt.Sprintf("tag (integrity table entry %d)", exCluster), fmt.Sprintf("%x", tag))
	sb.WriteString("```\n")
	fmt.Fprintf(sb, "\nThe tag is entry %d of the integrity table: table bytes %d to %d.\n", exCluster, exCluster*disc.TagSize, exCluster*disc.TagSize+disc.TagSize-1)
}

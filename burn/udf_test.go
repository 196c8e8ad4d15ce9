package burn

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/internal/testenv"
	"copystation/media/udf"
)

// TestUDFRoundTrip copies a real UDF 2.50 file system made by mkudffs (as a
// BD-R is mastered), holding a BDMV tree, through the whole pipeline onto the simulated BD-R,
// plays it back, and has udfinfo accept the result.
func TestUDFRoundTrip(t *testing.T) {
	mkudffs, err1 := exec.LookPath("mkudffs")
	udfinfo, err2 := exec.LookPath("udfinfo")
	if err1 != nil || err2 != nil {
		testenv.Require(t, "udftools (mkudffs, udfinfo) not installed: apt-get install udftools")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "film.udf")
	out, err := exec.Command(mkudffs, "--media-type=bdr", "--udfrev=2.50", "--label=FILM", "--new-file", img, "16384").CombinedOutput()
	if err != nil {
		t.Fatalf("mkudffs: %v\n%s", err, out)
	}
	empty, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	// The BDMV tree a BD-R master carries, written into the file system
	// as a sequential recorder would (package media/udf).
	u, err := udf.Open(empty)
	if err != nil {
		t.Fatalf("udf.Open(mkudffs image) = %v", err)
	}
	stream := randBytes(30, 1500*1024)
	tree := []udf.File{
		{Path: "BDMV"}, {Path: "CERTIFICATE"},
		{Path: "BDMV/index.bdmv", Data: []byte("INDX0200 copy station test title")},
		{Path: "BDMV/MovieObject.bdmv", Data: []byte("MOBJ0200")},
		{Path: "BDMV/PLAYLIST"}, {Path: "BDMV/PLAYLIST/00000.mpls", Data: []byte("MPLS0200")},
		{Path: "BDMV/CLIPINF"}, {Path: "BDMV/CLIPINF/00000.clpi", Data: []byte("HDMV0200")},
		{Path: "BDMV/STREAM"}, {Path: "BDMV/STREAM/00000.m2ts", Data: stream},
		{Path: "BDMV/BACKUP"}, {Path: "BDMV/BACKUP/index.bdmv", Data: []byte("INDX0200 copy station test title")},
	}
	if err := u.Add(tree); err != nil {
		t.Fatalf("Add() = %v", err)
	}
	if err := os.WriteFile(img, u.Image(), 0o600); err != nil {
		t.Fatal(err)
	}
	image := u.Image()
	info := udfInfo(t, udfinfo, img)
	if info["numfiles"] != "6" || info["numdirs"] != "7" || info["udfrev"] != "2.50" {
		t.Fatalf("udfinfo(mastered image) = %v, want 6 files, 7 directories (root included), UDF 2.50", info)
	}
	// Forensic segments inside the stream file's data: the variants are
	// different pictures, the file system around them is the same.
	where, _ := u.Where("BDMV/STREAM/00000.m2ts")
	m2ts := uint64(where)
	segs := [][2]uint64{{m2ts + 10, 8}, {m2ts + 300, 16}, {m2ts + 700, 1}}
	var vars []titlepkg.Variant
	for i, s := range segs {
		vars = append(vars, titlepkg.Variant{Start: s[0], B: randBytes(byte(40+i), int(s[1])*disc.SectorSize)})
	}
	if _, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "film-udf", Image: bytes.NewReader(image), ImageSize: int64(len(image)),
		Variants: vars, Keys: titleKeys(t, len(vars)), ChunkSize: titlepkg.MinChunkSize, Rand: chacha(5)}); err != nil {
		t.Fatalf("titlepkg.Create() = %v", err)
	}
	path := filepath.Join(dir, titlepkg.FileName("film-udf"))
	pkg, err := titlepkg.Open(path, titleKeys(t, len(vars)))
	if err != nil {
		t.Fatal(err)
	}
	defer pkg.Close()
	f := &fixture{img: image, vars: vars, pkg: pkg, path: path}
	sim := newSim(t)
	cw := []byte{0x60} // segment 0 keeps A, segments 1 and 2 take B
	if _, err := Copy(context.Background(), newDrive(sim), f.job(t, sim, "job-udf", cw)); err != nil {
		t.Fatalf("Copy() = %v", err)
	}
	played, h, err := play(t, sim)
	if err != nil {
		t.Fatalf("ReadDisc() = %v", err)
	}
	if !bytes.Equal(played, f.want(cw)) || !bytes.Equal(h.Codeword, cw) {
		t.Fatalf("ReadDisc() = %d bytes, codeword %x; want the %d-byte image with codeword %x", len(played), h.Codeword, len(image), cw)
	}
	back := filepath.Join(dir, "played.udf")
	if err := os.WriteFile(back, played, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := udfInfo(t, udfinfo, back); got["udfrev"] != "2.50" || got["label"] != "FILM" || got["numdirs"] != info["numdirs"] || got["numfiles"] != info["numfiles"] {
		t.Errorf("udfinfo(played) = %v, want udfrev 2.50, label FILM, as the source (%v)", got, info)
	}
}

// udfInfo runs udfinfo and returns its key=value lines.
func udfInfo(t *testing.T, udfinfo, path string) map[string]string {
	t.Helper()
	out, err := exec.Command(udfinfo, path).CombinedOutput()
	if err != nil {
		t.Fatalf("udfinfo %s: %v\n%s", path, err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

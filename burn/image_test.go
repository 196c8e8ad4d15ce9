package burn

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"copystation/burn/disc"
	"copystation/burn/sector"
	"copystation/burn/titlepkg"
)

// packageWith makes a package of an image of n sectors, variants at the
// given (start, sectors) pairs, chunks of chunk bytes.
func packageWith(t *testing.T, n, chunk int, segs ...[2]int) *fixture {
	t.Helper()
	f := &fixture{img: randBytes(1, n*disc.SectorSize)}
	for i, s := range segs {
		f.vars = append(f.vars, titlepkg.Variant{Start: uint64(s[0]), B: randBytes(byte(10+i), s[1]*disc.SectorSize)})
	}
	dir := t.TempDir()
	if _, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "film-1", Image: bytes.NewReader(f.img), ImageSize: int64(len(f.img)),
		Variants: f.vars, Keys: titleKeys(t, len(f.vars)), ChunkSize: chunk, Rand: chacha(2)}); err != nil {
		t.Fatalf("titlepkg.Create() = %v", err)
	}
	f.path = filepath.Join(dir, titlepkg.FileName("film-1"))
	return f
}

// TestCopyDiscMatchesReference: whatever the chunk size and wherever the
// forensic segments fall (on a cluster boundary or not, one sector long,
// back to back, at either end of the image), the disc holds exactly the
// copy's image, zero-padded to whole clusters, CTR-encrypted by sector
// number, and the integrity table holds each cluster's GMAC: the format
// docs/disc-format.md describes, computed here the plain way, one cluster
// at a time. The pipeline opens chunks straight into place and joins the
// clusters chunks share; this checks every join.
func TestCopyDiscMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sectors int
		chunk   int
		segs    [][2]int
	}{
		{"aligned", 600, titlepkg.MinChunkSize, [][2]int{{64, 32}, {320, 64}}},
		{"unaligned", 611, titlepkg.MinChunkSize, [][2]int{{5, 3}, {100, 40}, {141, 1}, {142, 1}, {600, 11}}},
		{"big chunks", 1500, 3 * titlepkg.MinChunkSize, [][2]int{{0, 7}, {333, 100}, {1000, 32}, {1490, 10}}},
		{"no variants", 97, titlepkg.MinChunkSize, nil},
	} {
		f := packageWith(t, tc.sectors, tc.chunk, tc.segs...)
		for _, cw := range [][]byte{{0x00}, {0xFF}, {0b1011_0100}} {
			for _, single := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/cw=%08b/single=%v", tc.name, cw[0], single), func(t *testing.T) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
					sim := newSim(t)
					job := f.job(t, sim, "job-1", cw)
					job.SinglePass = single
					res, err := Copy(context.Background(), newDrive(sim), job)
					if err != nil {
						t.Fatalf("Copy() = %v", err)
					}
					l := res.Layout
					img := make([]byte, int(l.Clusters())*disc.ClusterSize)
					if err := newDrive(sim).Read(context.Background(), l.ImageLBA(), img); err != nil {
						t.Fatalf("Read(image) = %v", err)
					}
					table := make([]byte, int(l.TableSectors)*disc.SectorSize)
					if err := newDrive(sim).Read(context.Background(), l.TableLBA(), table); err != nil {
						t.Fatalf("Read(table) = %v", err)
					}
					wantImg, wantTable := referenceDisc(t, f.want(cw), job.Keys.DiscKey, len(table))
					if i := firstDiff(img, wantImg); i >= 0 {
						t.Errorf("image on the disc differs from the reference from byte %d (cluster %d)", i, i/disc.ClusterSize)
					}
					if i := firstDiff(table, wantTable); i >= 0 {
						t.Errorf("integrity table differs from the reference from byte %d (cluster %d's tag)", i, i/disc.TagSize)
					}
				})
			}
		}
	}
}

// referenceDisc is what the disc's image region and integrity table must
// hold for a copy of image under discKey.
func referenceDisc(t *testing.T, image, discKey []byte, tableLen int) (img, table []byte) {
	sec, err := sector.New(discKey)
	if err != nil {
		t.Fatal(err)
	}
	n := (len(image) + disc.ClusterSize - 1) / disc.ClusterSize
	img = make([]byte, n*disc.ClusterSize)
	copy(img, image)
	table = make([]byte, tableLen)
	for i := range n {
		cl := img[i*disc.ClusterSize : (i+1)*disc.ClusterSize]
		if err := sec.XOR(cl, cl, uint64(i)*disc.ClusterSectors); err != nil {
			t.Fatal(err)
		}
		tag := sec.Tag(uint64(i), cl)
		copy(table[i*disc.TagSize:], tag[:])
	}
	return img, table
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestCopyReadsOnlyKeptVariants: a copy opened with every key of the
// title (as the issuer, or a benchmark, holds them) still reads and
// decrypts only the chunks its codeword keeps, never the other variant's.
func TestCopyReadsOnlyKeptVariants(t *testing.T) {
	// Variant runs of 96 sectors: three 64 KiB chunks each.
	f := packageWith(t, 1200, titlepkg.MinChunkSize, [2]int{160, 96}, [2]int{640, 96})
	fh, err := os.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{f: fh}
	p, err := titlepkg.OpenReader(cr, st.Size(), titleKeys(t, len(f.vars)))
	if err != nil {
		t.Fatalf("OpenReader() = %v", err)
	}
	defer p.Close()
	sim := newSim(t)
	cw := []byte{0b0100_0000}
	job := f.job(t, sim, "job-1", cw)
	job.Package, job.SinglePass = p, true
	cr.n.Store(0)
	if _, err := Copy(context.Background(), newDrive(sim), job); err != nil {
		t.Fatalf("Copy() = %v", err)
	}
	dropped := int64(2 * 96 * disc.SectorSize) // one variant of each segment
	if got, most := cr.n.Load(), st.Size()-dropped; got > most {
		t.Errorf("Copy() read %d bytes of a %d-byte package, want at most %d: the %d bytes of variants the codeword drops read too", got, st.Size(), most, dropped)
	}
	img, _, err := play(t, sim)
	if err != nil || !bytes.Equal(img, f.want(cw)) {
		t.Errorf("play() = %d bytes, %v; want the copy's image", len(img), err)
	}
}

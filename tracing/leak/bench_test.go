package leak

import (
	"crypto/sha256"
	"io"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/tracing/digests"
	"copystation/tracing/tardos"
)

// genImage is an image of size bytes generated on the fly (a repeating
// 1 MiB pattern), so a benchmark reads a BD-sized image without a disk in
// the way: it measures the reader (skipping, hashing, deciding), not the
// disk. It seeks like a file.
type genImage struct {
	size, pos int64
	pat       []byte
}

func (g *genImage) Read(p []byte) (int, error) {
	if g.pos >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-g.pos))
	for k := 0; k < n; {
		k += copy(p[k:n], g.pat[(g.pos+int64(k))%int64(len(g.pat)):])
	}
	g.pos += int64(n)
	return n, nil
}

func (g *genImage) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		g.pos += off
	case io.SeekStart:
		g.pos = off
	}
	return g.pos, nil
}

// benchRecord lays out segs segments of segSectors each, evenly over an
// image of size bytes (digests of the pattern's bytes don't matter: every
// segment is decided, whatever it matches).
func benchRecord(size int64, segs int, segSectors uint32) *digests.Record {
	rec := &digests.Record{TitleID: "bench", Params: tardos.Params{N: 10000, C: 4, Eps1: 1e-6}}
	step := uint64(size/titlepkg.SectorSize) / uint64(segs)
	for i := range segs {
		rec.Entries = append(rec.Entries, digests.Entry{Start: uint64(i) * step, Sectors: segSectors,
			A: sha256.Sum256([]byte{byte(i), 0}), B: sha256.Sum256([]byte{byte(i), 1})})
	}
	return rec
}

func benchRead(b *testing.B, seek bool, segSectors uint32) {
	const size = 25025314816 // a single-layer BD-R
	rec := benchRecord(size, 3637, segSectors)
	pat := make([]byte, 1<<20)
	for i := range pat {
		pat[i] = byte(i * 7)
	}
	read := int64(size)
	if seek {
		read = int64(len(rec.Entries)) * int64(segSectors) * titlepkg.SectorSize
	}
	b.SetBytes(read)
	for b.Loop() {
		var r io.Reader = &genImage{size: size, pat: pat}
		if !seek {
			r = onlyReader{r}
		}
		if _, _, err := Read(r, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrace25GBStream reads a 25 GB image that cannot seek (a pipe):
// every byte passes through; MB/s is over the whole image.
func BenchmarkTrace25GBStream(b *testing.B) { benchRead(b, false, 32) }

// BenchmarkTrace25GBSeek reads the same image from a seekable source with
// 3,637 segments of 64 KiB: only segment bytes are read and hashed; MB/s is
// over those bytes.
func BenchmarkTrace25GBSeek(b *testing.B) { benchRead(b, true, 32) }

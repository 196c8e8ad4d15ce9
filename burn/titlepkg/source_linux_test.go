package titlepkg

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// dropCache writes the file at path out and drops its pages from the
// page cache, so the next read of it goes to the disk.
func dropCache(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatalf("fadvise(DONTNEED) = %v", err)
	}
}

// TestDirectReads: a package file on a file system that takes O_DIRECT
// is read direct where its pages are not in the page cache and from the
// cache where they are, and either way ReadChunk gives the image; a chunk
// altered on disk fails its tag through the direct read, and a file cut
// short since Open fails with ErrPackageChanged naming the chunk. The
// chunks sit at offsets that are not page aligned (after the manifest and
// a tag per chunk) and the last is short.
func TestDirectReads(t *testing.T) {
	dir := t.TempDir()
	img := randomBytes(1, 5*MinChunkSize+3*SectorSize)
	m, path := build(t, dir, img, nil, MinChunkSize)
	if probe, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0); err != nil {
		t.Fatalf("the test directory's file system (%s) refuses O_DIRECT (%v): run the tests with TMPDIR on one that takes it (ext4, xfs, btrfs, tmpfs since Linux 6.6)", dir, err)
	} else {
		probe.Close()
	}
	p, err := Open(path, testKeys(t, 0))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer p.Close()
	d, ok := p.src.(*directSource)
	if !ok {
		t.Fatalf("Open() reads through %T, want direct reads", p.src)
	}
	check := func(what string) {
		t.Helper()
		buf := make([]byte, p.ChunkBufSize())
		for i := range m.ChunkCount {
			plain, _, err := p.ReadChunk(i, buf)
			if want := img[i*MinChunkSize : min(uint64(len(img)), (i+1)*MinChunkSize)]; err != nil || !bytes.Equal(plain, want) {
				t.Fatalf("%s: ReadChunk(%d) = %d bytes, %v; want the image's chunk", what, i, len(plain), err)
			}
		}
	}
	dropCache(t, path)
	check("cold")
	if got := d.directReads.Load(); got != int64(m.ChunkCount) {
		t.Errorf("cold: %d of %d chunks read direct, want all", got, m.ChunkCount)
	}
	if _, err := os.ReadFile(path); err != nil { // every page in the cache
		t.Fatal(err)
	}
	check("warm")
	switch got := d.directReads.Load(); {
	case d.noStat.Load():
		// No cachestat(2) (Linux before 6.5, or qemu-user, which does
		// not know the call): every chunk is read direct, warm or not.
		if got != 2*int64(m.ChunkCount) {
			t.Errorf("warm, without cachestat: %d of %d chunks read direct, want all", got-int64(m.ChunkCount), m.ChunkCount)
		}
	case got != int64(m.ChunkCount):
		t.Errorf("warm: %d chunks read direct, want none more than the cold pass's %d", got-int64(m.ChunkCount), m.ChunkCount)
	}

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], p.ChunkOffset(2)+5); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	if _, err := f.WriteAt(b[:], p.ChunkOffset(2)+5); err != nil {
		t.Fatal(err)
	}
	dropCache(t, path)
	before := d.directReads.Load()
	buf := make([]byte, p.ChunkBufSize())
	var ce *ChunkError
	if _, _, err := p.ReadChunk(2, buf); !errors.Is(err, ErrAuth) || !errors.As(err, &ce) || ce.Index != 2 || d.directReads.Load() != before+1 {
		t.Errorf("ReadChunk(2, altered on disk, read direct) = %v (%d direct reads), want ChunkError{2, ErrAuth} from one", err, d.directReads.Load()-before)
	}

	if err := f.Truncate(p.ChunkOffset(4) + 100); err != nil {
		t.Fatal(err)
	}
	dropCache(t, path)
	if _, _, err := p.ReadChunk(4, buf); !errors.Is(err, ErrPackageChanged) || !errors.As(err, &ce) || ce.Index != 4 {
		t.Errorf("ReadChunk(4, file cut in it, direct) = %v, want ChunkError{4, ErrPackageChanged}", err)
	}
	if _, _, err := p.ReadChunk(4, buf[:p.ChunkLen(4)+TagSize]); !errors.Is(err, ErrPackageChanged) {
		t.Errorf("ReadChunk(4, file cut in it, through the file) = %v, want ErrPackageChanged", err)
	}
}

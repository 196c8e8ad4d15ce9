package titlepkg

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkChunkSource measures what reading a package costs on top of
// opening its chunks (AES-256-GCM), for each way a station could get the
// ciphertext to GCM: the figures behind how a burn reads the package,
// written up in docs/title-package.md ("How a burn reads the package").
// One pass reads and opens every chunk of a 256 MiB package in one
// goroutine, with the file's pages in the page cache (warm) or dropped
// from it before the pass (cold, POSIX_FADV_DONTNEED; tmpfs keeps them):
//
//	BURN_BENCH_DIR=/dev/shm go test -run X -bench ChunkSource -cpu 1 -benchtime 3x ./burn/titlepkg
//	go test -run X -bench ChunkSource -cpu 1 -benchtime 3x ./burn/titlepkg   # $TMPDIR's file system
//
//	gcm:    the baseline: GCM opens of chunks already in memory (four
//	        chunks' ciphertext kept in the CPU's cache, opened in turn into
//	        the buffer), no read at all
//	open:   the production path (Open, ReadChunk): a chunk whose pages are
//	        cached is copied from the page cache (pread), any other is read
//	        with O_DIRECT into the buffer (source_linux.go)
//	file:   the package read through the file (OpenReader, ReadChunk): the
//	        kernel copies every chunk from the page cache, which a cold
//	        read fills first (the path before O_DIRECT)
//	mmap:   64 MiB windows of the file mapped read-only (MAP_POPULATE,
//	        MADV_SEQUENTIAL, unmapped behind), GCM reading the ciphertext
//	        straight from the mapping into the buffer (warm only)
//
// cached-% is the share of the file's pages in the page cache as each
// pass starts (cachestat(2)), which shows a cold pass was cold.
func BenchmarkChunkSource(b *testing.B) {
	dir := os.Getenv("BURN_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "titlepkg-bench-"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	const size = 256 << 20
	img := bytes.Repeat(randomBytes(3, 1<<20), size>>20)
	if _, err := Create(dir, Spec{TitleID: "bench", Image: bytes.NewReader(img), ImageSize: size, Keys: testKeys(b, 0), Rand: seeded(9)}); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, FileName("bench"))
	p, err := Open(path, testKeys(b, 0))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	viaFile, err := OpenReader(f, st.Size(), testKeys(b, 0))
	if err != nil {
		b.Fatal(err)
	}
	cached := func() float64 {
		var cs unix.Cachestat_t
		if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{Len: uint64(st.Size())}, &cs, 0); err != nil {
			return -1
		}
		return 100 * float64(cs.Cache) / float64((st.Size()+page-1)/page)
	}
	// Dirty pages stay in the cache: write them out first.
	drop := func(b *testing.B) {
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			b.Fatal(err)
		}
	}
	for _, src := range []struct {
		name string
		cold bool
		pass func(b *testing.B)
	}{
		{"gcm", false, func(b *testing.B) { gcmPass(b, p) }},
		{"open-warm", false, func(b *testing.B) { readPass(b, p) }},
		{"open-cold", true, func(b *testing.B) { readPass(b, p) }},
		{"file-warm", false, func(b *testing.B) { readPass(b, viaFile) }},
		{"file-cold", true, func(b *testing.B) { readPass(b, viaFile) }},
		{"mmap-warm", false, func(b *testing.B) { mmapPass(b, p, f) }},
	} {
		b.Run(src.name, func(b *testing.B) {
			b.SetBytes(p.Manifest().StreamSize())
			var cpu, sys time.Duration
			var pct float64
			if !src.cold {
				readPass(b, viaFile) // the pages in the cache
			}
			for b.Loop() {
				if src.cold {
					b.StopTimer()
					drop(b)
					b.StartTimer()
				}
				pct += cached()
				c0, s0 := rusage()
				src.pass(b)
				c1, s1 := rusage()
				cpu, sys = cpu+c1-c0, sys+s1-s0
			}
			gb := float64(p.Manifest().StreamSize()) * float64(b.N) / 1e9
			b.ReportMetric(cpu.Seconds()/gb, "cpu-s/GB")
			b.ReportMetric(sys.Seconds()/gb, "sys-s/GB")
			b.ReportMetric(pct/float64(b.N), "cached-%")
		})
	}
}

func readPass(b *testing.B, p *Package) {
	buf := make([]byte, p.ChunkBufSize())
	for i := range p.Manifest().ChunkCount {
		if _, _, err := p.ReadChunk(i, buf); err != nil {
			b.Fatal(err)
		}
	}
}

const page = 4096

func gcmPass(b *testing.B, p *Package) {
	var cts [4][]byte
	for k := range cts {
		cts[k] = make([]byte, p.ChunkBufSize())
		ct, err := p.FetchChunk(uint64(k), cts[k])
		if err != nil {
			b.Fatal(err)
		}
		cts[k] = ct
	}
	buf := make([]byte, p.ChunkBufSize())
	for i := range p.Manifest().ChunkCount {
		k := i % 4
		aead := p.s.regions[p.m.chunks[k].region]
		if _, err := aead.Open(buf[:0], p.s.nonce(k), cts[k], p.s.aad[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func mmapPass(b *testing.B, p *Package, f *os.File) {
	const window = 64 << 20
	buf := make([]byte, p.ChunkBufSize())
	var m []byte
	var mlo int64 // file offset of m[0]
	defer func() { unix.Munmap(m) }()
	for i := range p.Manifest().ChunkCount {
		off := p.ChunkOffset(i)
		n := p.ChunkLen(i) + TagSize
		if m == nil || off+n > mlo+int64(len(m)) {
			if m != nil {
				unix.Munmap(m)
			}
			mlo = off &^ (page - 1)
			l := min(int64(window)+n+page, p.Manifest().FileSize()-mlo)
			var err error
			if m, err = unix.Mmap(int(f.Fd()), mlo, int(l), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
				b.Fatalf("mmap: %v", err)
			}
			unix.Madvise(m, unix.MADV_SEQUENTIAL)
		}
		ct := m[off-mlo : off-mlo+n]
		aead := p.s.regions[p.m.chunks[i].region]
		if _, err := aead.Open(buf[:0], p.s.nonce(i), ct, p.s.aad[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func rusage() (cpu, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano())
}

package titlepkg

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directSource reads a package file the cheapest way it can (figures in
// docs/title-package.md, "How a burn reads the package"):
//
//   - a chunk whose pages are all in the page cache (a title installed or
//     burned a moment ago) is copied from there with pread; cachestat(2)
//     says so without reading anything (preadv2's RWF_NOWAIT would not
//     do: it starts read-ahead of what it does not find, so the disk
//     would be read twice);
//   - any other chunk is read with O_DIRECT: the disk's DMA lands in the
//     chunk's buffer, with no page cache filled (page allocation, LRU,
//     later reclaim), which a 25 GB title on a small box would only
//     churn. Its pages are read whole, so the chunk sits in the buffer at
//     its offset within its first page.
//
// Either way the chunk lands in private memory before GCM reads it. A
// mapping of the file was measured too and is not used: see the doc.
type directSource struct {
	f      *os.File // the package as Open opened it
	direct *os.File // the same file, opened O_DIRECT
	fd     int      // f's descriptor
	dfd    int      // direct's descriptor
	// noStat is set once cachestat(2) is found missing (Linux before
	// 6.5): every chunk is then read direct.
	noStat atomic.Bool
	// directReads counts the chunks read with O_DIRECT (for tests).
	directReads atomic.Int64
}

// openDirect opens f's file a second time with O_DIRECT, or returns nil
// if the file system refuses it or the path names another file by now.
func openDirect(f *os.File) *directSource {
	d, err := os.OpenFile(f.Name(), os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return nil
	}
	var a, b unix.Stat_t
	if unix.Fstat(int(f.Fd()), &a) != nil || unix.Fstat(int(d.Fd()), &b) != nil || a.Dev != b.Dev || a.Ino != b.Ino {
		d.Close()
		return nil
	}
	return &directSource{f: f, direct: d, fd: int(f.Fd()), dfd: int(d.Fd())}
}

func (s *directSource) fetch(buf []byte, off, n int64) ([]byte, error) {
	lo := off &^ (pageSize - 1)
	hi := (off + n + pageSize - 1) &^ (pageSize - 1)
	if s.cached(lo, hi) || int64(len(buf)) < hi-lo || uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%pageSize != 0 {
		return readerSource{s.f}.fetch(buf, off, n)
	}
	want := off + n - lo // bytes needed; the last page may end past the file
	var got int64
	for got < want {
		k, err := unix.Pread(s.dfd, buf[got:hi-lo], lo+got)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EINVAL) && got == 0:
			// An alignment this file system does not take after all.
			return readerSource{s.f}.fetch(buf, off, n)
		case err != nil:
			return nil, err
		case k == 0:
			return nil, shortRead(io.ErrUnexpectedEOF)
		}
		got += int64(k)
	}
	s.directReads.Add(1)
	return buf[off-lo : off-lo+n], nil
}

// cached reports whether every page of [lo, hi) is in the page cache.
func (s *directSource) cached(lo, hi int64) bool {
	if s.noStat.Load() {
		return false
	}
	var cs unix.Cachestat_t
	err := unix.Cachestat(uint(s.fd), &unix.CachestatRange{Off: uint64(lo), Len: uint64(hi - lo)}, &cs, 0)
	if errors.Is(err, unix.ENOSYS) {
		s.noStat.Store(true)
	}
	return err == nil && cs.Cache == uint64(hi-lo)/pageSize
}

func (s *directSource) Close() error { return s.direct.Close() }

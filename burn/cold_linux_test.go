package burn

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// dropPages writes the file at path out and drops its pages from the page
// cache (BURN_BENCH_COLD=1: a title read from the disk, as a 25 GB one is
// on a station whose memory cannot hold it), and returns the share of its
// pages still cached (tmpfs keeps them all), in percent.
func dropPages(b *testing.B, path string) float64 {
	if path == "" {
		return 100
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	var cs unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{Len: uint64(st.Size())}, &cs, 0); err != nil {
		b.Fatalf("cachestat: %v", err)
	}
	return 100 * float64(cs.Cache) / float64((st.Size()+4095)/4096)
}

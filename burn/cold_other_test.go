//go:build !linux

package burn

import "testing"

// dropPages needs Linux (posix_fadvise, cachestat): BURN_BENCH_COLD is
// refused elsewhere.
func dropPages(b *testing.B, path string) float64 {
	b.Fatal("BURN_BENCH_COLD needs Linux")
	return 0
}

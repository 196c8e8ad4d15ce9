package drivesim

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on the platforms the
// station runs on (x86-64 and arm64 with 4 KiB base pages).
const hugePage = 2 << 20

// newBlockMem returns a memory disc's block: memBlock bytes mapped
// outside the Go heap, on a huge-page boundary, and marked for
// transparent huge pages. Tens of GiB of memory discs on 4 KiB pages
// make every WRITE's copy walk page tables (twice over on a virtual
// machine) and miss the TLB once a page: on the build machine a 1 MiB
// copy into 16 GiB of such blocks took 91-124 µs at the median and
// 14.6 ms at the 99.9th percentile, against 50-53 µs and 1.5 ms on huge
// pages (docs/benchmarks.md, issue 17, tenth session). That is the
// simulator's cost, not a drive's: a real drive takes the data by DMA.
// Where the mapping or the advice is refused the block is still good, on
// small pages or from the Go heap.
func newBlockMem() []byte {
	m, err := unix.Mmap(-1, 0, memBlock+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return make([]byte, memBlock)
	}
	// The block starts at the first huge-page boundary of the mapping;
	// the pages before and after it are never touched, so they cost
	// address space only. Blocks are never unmapped (freeBlocks keeps
	// them for the process's life).
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(m))) & (hugePage - 1))
	b := m[skip : skip+memBlock : skip+memBlock]
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
	return b
}

package drivesim

import (
	"os"
	"sync"
)

// store holds a disc's user data, addressed in bytes from LBA 0. Sectors
// never written read as zeros.
type store interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Truncate drops everything from size on (erasing a BD-RE truncates to
	// 0, then back to the capacity).
	Truncate(size int64) error
	Close() error
}

var _ store = (*os.File)(nil)

// memBlock is the memory store's unit of allocation. A transfer that
// crosses a block boundary is copied in two pieces; one that does not is
// one copy, and Go's memmove streams a copy of 1 MiB or more (the most the
// drive transfers) past the caches with non-temporal stores, as a drive's
// DMA leaves the host's caches. Two smaller copies instead pull every line
// of the host buffer into the copying core, which costs twice the CPU when
// the pipeline's other core has just read that buffer. A burned image
// starts 64 KiB into the disc, so with 1 MiB blocks every 1 MiB transfer
// crossed one; with 16 MiB blocks one in 16 does (BenchmarkMemoryCopyHandoff,
// docs/benchmarks.md). Only the pages written are touched, so a short test
// disc still costs little.
const memBlock = 16 << 20

// memStore keeps a disc's data in memory, in blocks allocated on first
// write. Benchmarks use it (Options.InMemory) to take the host's file
// system and page cache out of what they measure; what is left is one
// memory copy per byte written (WRITE) and one per byte read (READ), as
// a real drive's DMA would be. Two costs that are the store's and no
// drive's are kept out: blocks of closed discs are kept for the next disc
// (fresh memory costs a page fault per page on first touch, and a
// sync.Pool drops its blocks at every garbage collection), and a reused
// block is not cleared: it has a high-water mark, and what lies above it
// reads as zeros.
type memStore struct {
	blocks []*memBlk
	copies int // pieces copied in and out (a test checks a transfer is one)
}

// memBlk is one block: bytes [0, hw) hold data (written, or zeroed when a
// write landed above the mark); bytes from hw on are stale and read as
// zeros.
type memBlk struct {
	b  []byte
	hw int
}

// freeBlocks holds the blocks of closed memory discs for the next ones.
// It never shrinks: a process that held k GiB of memory discs at once
// keeps k GiB (only benchmarks and tests use memory discs).
var freeBlocks struct {
	sync.Mutex
	list []*memBlk
}

func getBlock() *memBlk {
	freeBlocks.Lock()
	defer freeBlocks.Unlock()
	if n := len(freeBlocks.list); n > 0 {
		b := freeBlocks.list[n-1]
		freeBlocks.list = freeBlocks.list[:n-1]
		b.hw = 0
		return b
	}
	return &memBlk{b: newBlockMem()}
}

func putBlocks(blocks []*memBlk) {
	freeBlocks.Lock()
	defer freeBlocks.Unlock()
	for _, b := range blocks {
		if b != nil {
			freeBlocks.list = append(freeBlocks.list, b)
		}
	}
}

// ReserveMemory makes sure memory discs can hold n bytes in all without
// fresh memory: it adds blocks to the free list, each page touched, so
// that a bench pays the page faults (on a virtual machine, kernel work
// that can cost more than the copy itself) before it starts timing rather
// than inside the WRITE commands it times. The memory is held until the
// process ends.
func ReserveMemory(n int64) {
	freeBlocks.Lock()
	defer freeBlocks.Unlock()
	for have := int64(len(freeBlocks.list)) * memBlock; have < n; have += memBlock {
		b := newBlockMem()
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // fault the page in now
		}
		freeBlocks.list = append(freeBlocks.list, &memBlk{b: b})
	}
}

func newMemStore(size int64) *memStore {
	return &memStore{blocks: make([]*memBlk, (size+memBlock-1)/memBlock)}
}

func (m *memStore) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		i, o := (off+int64(n))/memBlock, int((off+int64(n))%memBlock)
		k := min(len(p)-n, memBlock-o)
		dst := p[n : n+k]
		if i >= int64(len(m.blocks)) || m.blocks[i] == nil {
			clear(dst)
		} else {
			b := m.blocks[i]
			measured(k, func() {
				c := copy(dst, b.b[o:max(o, b.hw)])
				clear(dst[c:])
			})
			m.copies++
		}
		n += k
	}
	return n, nil
}

func (m *memStore) WriteAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		i, o := (off+int64(n))/memBlock, int((off+int64(n))%memBlock)
		k := min(len(p)-n, memBlock-o)
		for i >= int64(len(m.blocks)) {
			m.blocks = append(m.blocks, nil)
		}
		if m.blocks[i] == nil {
			m.blocks[i] = getBlock()
		}
		b := m.blocks[i]
		if o > b.hw {
			clear(b.b[b.hw:o]) // stale bytes below the write now count
		}
		measured(k, func() { copy(b.b[o:], p[n:n+k]) })
		m.copies++
		b.hw = max(b.hw, o+k)
		n += k
	}
	return n, nil
}

func (m *memStore) Truncate(size int64) error {
	keep := (size + memBlock - 1) / memBlock
	if keep >= int64(len(m.blocks)) {
		m.blocks = append(m.blocks, make([]*memBlk, keep-int64(len(m.blocks)))...)
	} else {
		putBlocks(m.blocks[keep:])
		clear(m.blocks[keep:])
		m.blocks = m.blocks[:keep]
	}
	if tail := int(size % memBlock); tail != 0 && m.blocks[keep-1] != nil {
		b := m.blocks[keep-1]
		b.hw = min(b.hw, tail)
	}
	return nil
}

func (m *memStore) Close() error {
	putBlocks(m.blocks)
	m.blocks = nil
	return nil
}

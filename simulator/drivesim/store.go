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

// memBlock is the memory store's unit of allocation: big enough that the
// block table of a 50 GB disc stays small, small enough that a short test
// disc costs little.
const memBlock = 1 << 20

// memStore keeps a disc's data in memory, in blocks allocated on first
// write. Benchmarks use it (Options.InMemory) to take the host's file
// system and page cache out of what they measure. Blocks of closed discs
// are reused: fresh memory costs a page fault per page on first touch,
// which would put back the cost the store is there to leave out.
type memStore struct {
	blocks [][]byte
}

// freeBlocks holds the blocks of closed memory discs.
var freeBlocks sync.Pool

func getBlock() []byte {
	if b, ok := freeBlocks.Get().(*[]byte); ok {
		clear(*b)
		return *b
	}
	return make([]byte, memBlock)
}

func putBlocks(blocks [][]byte) {
	for _, b := range blocks {
		if b != nil {
			freeBlocks.Put(&b)
		}
	}
}

func newMemStore(size int64) *memStore {
	return &memStore{blocks: make([][]byte, (size+memBlock-1)/memBlock)}
}

func (m *memStore) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		i, o := (off+int64(n))/memBlock, (off+int64(n))%memBlock
		k := min(len(p)-n, memBlock-int(o))
		if i >= int64(len(m.blocks)) || m.blocks[i] == nil {
			clear(p[n : n+k])
		} else {
			copy(p[n:n+k], m.blocks[i][o:])
		}
		n += k
	}
	return n, nil
}

func (m *memStore) WriteAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		i, o := (off+int64(n))/memBlock, (off+int64(n))%memBlock
		k := min(len(p)-n, memBlock-int(o))
		for i >= int64(len(m.blocks)) {
			m.blocks = append(m.blocks, nil)
		}
		if m.blocks[i] == nil {
			m.blocks[i] = getBlock()
		}
		copy(m.blocks[i][o:], p[n:n+k])
		n += k
	}
	return n, nil
}

func (m *memStore) Truncate(size int64) error {
	keep := (size + memBlock - 1) / memBlock
	if keep >= int64(len(m.blocks)) {
		m.blocks = append(m.blocks, make([][]byte, keep-int64(len(m.blocks)))...)
	} else {
		putBlocks(m.blocks[keep:])
		clear(m.blocks[keep:])
		m.blocks = m.blocks[:keep]
	}
	if tail := size % memBlock; tail != 0 && m.blocks[keep-1] != nil {
		clear(m.blocks[keep-1][tail:])
	}
	return nil
}

func (m *memStore) Close() error {
	putBlocks(m.blocks)
	m.blocks = nil
	return nil
}

package drivesim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestStores checks that the memory store answers like the sparse file
// it stands in for: unwritten bytes read as zeros, writes may straddle
// blocks, and truncating drops what lies beyond. After every step the
// whole store is compared with a plain byte slice doing the same.
func TestStores(t *testing.T) {
	const size = 3*memBlock + 4096
	data := pattern(7, 600) // 1.2 MB: spans a block boundary
	steps := []struct {
		name string
		do   func(s store) error
		ref  func(m []byte) []byte
	}{
		{"blank", func(store) error { return nil }, func(m []byte) []byte { return m }},
		{"write across blocks", func(s store) error { _, err := s.WriteAt(data, memBlock-2048); return err },
			func(m []byte) []byte { copy(m[memBlock-2048:], data); return m }},
		{"write the last sector", func(s store) error { _, err := s.WriteAt(data[:2048], size-2048); return err },
			func(m []byte) []byte { copy(m[size-2048:], data); return m }},
		{"truncate inside a block, then extend", func(s store) error {
			if err := s.Truncate(memBlock + 100); err != nil {
				return err
			}
			return s.Truncate(size)
		}, func(m []byte) []byte { clear(m[memBlock+100:]); return m }},
		{"erase", func(s store) error {
			if err := s.Truncate(0); err != nil {
				return err
			}
			return s.Truncate(size)
		}, func(m []byte) []byte { clear(m); return m }},
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "disc.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]store{"file": f, "memory": newMemStore(size)} {
		t.Run(name, func(t *testing.T) {
			ref := make([]byte, size)
			for _, st := range steps {
				if err := st.do(s); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				ref = st.ref(ref)
				got := make([]byte, size)
				if n, err := s.ReadAt(got, 0); n != size || err != nil {
					t.Fatalf("%s: ReadAt(all) = %d, %v, want %d, nil", st.name, n, err, size)
				}
				if !bytes.Equal(got, ref) {
					t.Errorf("%s: ReadAt(all) differs from the reference", st.name)
				}
			}
		})
	}
}

// TestMemStoreReusesBlocksClean: a memory disc made after another was
// closed gets the old disc's blocks (no fresh memory to fault in) and
// still reads as zeros wherever it was not written, below and above its
// own writes in the same block.
func TestMemStoreReusesBlocksClean(t *testing.T) {
	const size = 2 * memBlock
	old := newMemStore(size)
	if _, err := old.WriteAt(pattern(3, 1024), 0); err != nil { // both blocks, all of them
		t.Fatal(err)
	}
	old.Close()
	s := newMemStore(size)
	defer s.Close()
	sec := pattern(4, 1)
	for _, off := range []int64{8192, 4096, memBlock + 65536} {
		if _, err := s.WriteAt(sec, off); err != nil {
			t.Fatal(err)
		}
	}
	want := make([]byte, size)
	for _, off := range []int64{8192, 4096, memBlock + 65536} {
		copy(want[off:], sec)
	}
	got := make([]byte, size)
	if _, err := s.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("ReadAt(all) of a disc on reused blocks differs from its three sectors written on zeros")
	}
}

// TestMemStoreTransferOneCopy: a READ or WRITE of the most the drive
// transfers at once (1 MiB), at the offset a burned image has behind its
// 64 KiB header, moves in one copy, not two split at a block boundary:
// Go's memmove streams copies of 1 MiB and more past the caches
// (non-temporal stores), as a drive's DMA does, while two smaller copies
// pull every line of the host buffer into the copying core first, which
// costs twice the CPU when another core has just read that buffer
// (BenchmarkMemoryCopyHandoff, docs/benchmarks.md).
func TestMemStoreTransferOneCopy(t *testing.T) {
	const off = 64 << 10
	data := pattern(9, maxTransfer)
	s := newMemStore(4 << 20)
	defer s.Close()
	if _, err := s.WriteAt(data, off); err != nil {
		t.Fatal(err)
	}
	if s.copies != 1 {
		t.Errorf("WriteAt(1 MiB at 64 KiB) made %d copies, want 1", s.copies)
	}
	written := s.copies
	got := make([]byte, len(data))
	if _, err := s.ReadAt(got, off); err != nil {
		t.Fatal(err)
	}
	if n := s.copies - written; n != 1 {
		t.Errorf("ReadAt(1 MiB at 64 KiB) made %d copies, want 1", n)
	}
	if !bytes.Equal(got, data) {
		t.Error("ReadAt(1 MiB at 64 KiB) differs from what was written")
	}
}

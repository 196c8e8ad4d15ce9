package drivesim

import (
	"bytes"
	"testing"
)

// TestMemoryCopies: with measuring on, a memory disc's copies in and out
// add to MemoryCopies (CPU, copies, bytes, the longest); with it off they
// add nothing, and the data reads back the same either way.
func TestMemoryCopies(t *testing.T) {
	const size = 16 << 20
	data := bytes.Repeat([]byte{0xA5}, size)
	got := make([]byte, size)
	copyBoth := func() {
		s := newMemStore(size)
		defer s.Close()
		for range 4 {
			if _, err := s.WriteAt(data, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReadAt(got, 0); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatal("memory disc read back other bytes")
		}
	}
	MeasureMemoryCopies(false)
	before := MemoryCopies()
	copyBoth()
	if after := MemoryCopies(); after != before {
		t.Errorf("measuring off: MemoryCopies went from %+v to %+v, want no change", before, after)
	}
	MeasureMemoryCopies(true)
	defer MeasureMemoryCopies(false)
	copyBoth()
	after := MemoryCopies()
	// Four writes and four reads of one 16 MiB block: eight copies.
	if got := after.Copies - before.Copies; got != 8 {
		t.Errorf("measuring on: %d copies counted, want 8", got)
	}
	if got := after.Bytes - before.Bytes; got != 8*size {
		t.Errorf("measuring on: %d bytes counted, want %d", got, 8*size)
	}
	cpu := after.CPU - before.CPU
	if cpu <= 0 {
		t.Errorf("measuring on: CPU grew by %v after copying 128 MiB in and out, want more than 0", cpu)
	}
	if after.Longest <= 0 || after.Longest > after.CPU {
		t.Errorf("measuring on: longest copy %v, want more than 0 and at most all copies' %v", after.Longest, after.CPU)
	}
}

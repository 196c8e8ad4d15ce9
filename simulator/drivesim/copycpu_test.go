package drivesim

import (
	"bytes"
	"testing"
)

// TestMemoryCopyCPU: with measuring on, a memory disc's copies in and out
// add to MemoryCopyCPU; with it off they add nothing, and the data reads
// back the same either way.
func TestMemoryCopyCPU(t *testing.T) {
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
	before := MemoryCopyCPU()
	copyBoth()
	if d := MemoryCopyCPU() - before; d != 0 {
		t.Errorf("measuring off: MemoryCopyCPU grew by %v, want 0", d)
	}
	MeasureMemoryCopies(true)
	defer MeasureMemoryCopies(false)
	copyBoth()
	if d := MemoryCopyCPU() - before; d <= 0 {
		t.Errorf("measuring on: MemoryCopyCPU grew by %v after copying 128 MiB in and out, want more than 0", d)
	}
}

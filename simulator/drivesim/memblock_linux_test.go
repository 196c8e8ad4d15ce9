package drivesim

import (
	"testing"
	"unsafe"
)

// TestBlockMemHugeAligned: a memory disc's block is memBlock bytes that
// start on a huge-page boundary (so the kernel can back it with
// transparent huge pages), and all of it can be written.
func TestBlockMemHugeAligned(t *testing.T) {
	b := newBlockMem()
	if len(b) != memBlock || cap(b) != memBlock {
		t.Fatalf("block of len %d, cap %d; want %d", len(b), cap(b), memBlock)
	}
	if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); p%hugePage != 0 {
		t.Errorf("block at %#x, want it on a %d-byte boundary", p, hugePage)
	}
	for i := 0; i < len(b); i += hugePage {
		b[i] = 1
	}
	b[len(b)-1] = 1
}

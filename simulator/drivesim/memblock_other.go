//go:build !linux

package drivesim

// newBlockMem returns a memory disc's block from the Go heap.
func newBlockMem() []byte { return make([]byte, memBlock) }

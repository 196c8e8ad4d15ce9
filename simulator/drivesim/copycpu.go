package drivesim

import (
	"runtime"
	"sync/atomic"
	"time"
)

// The CPU time memory discs spend copying data in (WRITE) and out (READ):
// the work a real drive's DMA does without the host's CPU. A benchmark of
// the copy pipeline on memory discs subtracts it to give the station's own
// CPU per GB beside the whole process's; the tower bench reports it, so
// that a run where the simulator's copies ran slow is told apart from one
// where the station was late (on the project's virtual machine the same
// copies averaged 94 µs a MiB in one tower run and 372 µs in another, and
// in a burst took milliseconds each: docs/benchmarks.md, issue 17,
// thirteenth session). Off unless MeasureMemoryCopies turns it on: each
// measured copy pins its goroutine to its thread and reads the thread's
// CPU clock twice.
var memCopy struct {
	on      atomic.Bool
	cpu     atomic.Int64 // nanoseconds
	copies  atomic.Int64
	bytes   atomic.Int64
	longest atomic.Int64 // nanoseconds, of one copy
}

// CopyStats is what memory discs' copies have cost while measuring was on.
type CopyStats struct {
	CPU     time.Duration // all copies, on the copying threads' CPU clocks
	Copies  int64
	Bytes   int64
	Longest time.Duration // the costliest single copy's CPU
}

// MeasureMemoryCopies turns the accounting of memory discs' copies on or
// off for the whole process (benchmarks only).
func MeasureMemoryCopies(on bool) { memCopy.on.Store(on) }

// MemoryCopies is what memory discs' copies have cost since the process
// started measuring (MeasureMemoryCopies).
func MemoryCopies() CopyStats {
	return CopyStats{
		CPU:     time.Duration(memCopy.cpu.Load()),
		Copies:  memCopy.copies.Load(),
		Bytes:   memCopy.bytes.Load(),
		Longest: time.Duration(memCopy.longest.Load()),
	}
}

// measured runs copy, which moves n bytes, adding the CPU time of the
// thread it ran on when measuring is on. Pinned to its thread, the
// goroutine's copy is all the thread ran between the two clock reads: if
// it is preempted, the thread waits for it rather than running another
// goroutine.
func measured(n int, copy func()) {
	if !memCopy.on.Load() {
		copy()
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, ok := threadCPU()
	copy()
	t1, ok1 := threadCPU()
	if !ok || !ok1 {
		return
	}
	d := int64(t1 - t0)
	memCopy.cpu.Add(d)
	memCopy.copies.Add(1)
	memCopy.bytes.Add(int64(n))
	for {
		l := memCopy.longest.Load()
		if d <= l || memCopy.longest.CompareAndSwap(l, d) {
			return
		}
	}
}

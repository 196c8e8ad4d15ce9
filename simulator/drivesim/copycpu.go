package drivesim

import (
	"runtime"
	"sync/atomic"
	"time"
)

// The CPU time memory discs spend copying data in (WRITE) and out (READ):
// the work a real drive's DMA does without the host's CPU. A benchmark of
// the copy pipeline on memory discs subtracts it to give the station's own
// CPU per GB beside the whole process's. Off unless MeasureMemoryCopies
// turns it on: each measured copy pins its goroutine to its thread and
// reads the thread's CPU clock twice.
var memCopy struct {
	on  atomic.Bool
	cpu atomic.Int64 // nanoseconds
}

// MeasureMemoryCopies turns the accounting of memory discs' copies on or
// off for the whole process (benchmarks only).
func MeasureMemoryCopies(on bool) { memCopy.on.Store(on) }

// MemoryCopyCPU is the CPU time memory discs have spent copying since the
// process started measuring (MeasureMemoryCopies).
func MemoryCopyCPU() time.Duration { return time.Duration(memCopy.cpu.Load()) }

// measured runs copy, adding the CPU time of the thread it ran on when
// measuring is on. Pinned to its thread, the goroutine's copy is all the
// thread ran between the two clock reads: if it is preempted, the thread
// waits for it rather than running another goroutine.
func measured(copy func()) {
	if !memCopy.on.Load() {
		copy()
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, ok := threadCPU()
	copy()
	if t1, ok1 := threadCPU(); ok && ok1 {
		memCopy.cpu.Add(int64(t1 - t0))
	}
}

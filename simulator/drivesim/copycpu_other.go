//go:build !linux

package drivesim

import "time"

// threadCPU is not measured off Linux: MemoryCopies stays zero.
func threadCPU() (time.Duration, bool) { return 0, false }

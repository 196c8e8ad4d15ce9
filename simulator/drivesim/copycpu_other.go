//go:build !linux

package drivesim

import "time"

// threadCPU is not measured off Linux: MemoryCopyCPU stays 0.
func threadCPU() (time.Duration, bool) { return 0, false }

package daemon

import (
	"os"
	"runtime/debug"
)

// GCPercent is the daemon's GOGC: the heap may grow 25% over what the last
// collection left live, not Go's default 100%. A burn's live heap is fixed
// buffers plus the integrity table (17 MB at 24 GB), and it allocates
// slowly (a collection every few seconds), so the extra collections cost
// little CPU while the default's headroom was the largest part of the
// daemon's peak resident memory (docs/benchmarks.md, "Memory of the
// daemon").
const GCPercent = 25

// SetGCPercent applies GCPercent unless GOGC is set in the environment
// (an operator's choice wins). Daemon entry points call it once, before
// Run; a library never changes the process's collector.
func SetGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(GCPercent)
	}
}

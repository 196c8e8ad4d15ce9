package burn

import (
	"context"
	"runtime"
	"sync"
)

// A station with several drives runs several copies at once on a few
// cores. A drive being written needs its next chunk before its buffer
// (4 MiB, 58 ms at 16x) runs dry, or it stops and re-links (an underrun);
// a copy being verified reads as fast as its drive answers and can wait.
// So the CPU-heavy steps of every copy in the process pass one gate with
// as many slots as the process has cores: sealing a chunk for the drive
// is fed first, checking a read-back unit runs only when no sealer waits.
// A slot is held for one chunk or one unit (under a millisecond of work),
// never across a drive command or a channel operation, so a sealer waits
// at most that long behind a check. Reading the package file is outside
// the gate: on a disk it waits for I/O, not for a core.
//
// Taking a slot is also a scheduling point. A package read is a blocking
// system call (milliseconds on a slow disk) during which the sealer keeps
// its P, and it comes back to the same P without passing through Go's
// scheduler; a sealer that reads, seals, reads and seals on every P in
// turn would run for tens of milliseconds with no timer fired on those Ps
// and no woken goroutine run. A drive's WRITE completing (a timer in the
// simulator, a returning ioctl on hardware) and the writer it wakes would
// wait that long: a traced underrun of a tower of 2 MiB drives was a
// writer 23 ms late this way (docs/benchmarks.md, twelfth session). So
// acquire yields once before the work it guards.
var cores = &gate{}

// gate is a counting semaphore whose waiters are served urgent ones
// first, each class in arrival order.
type gate struct {
	mu     sync.Mutex
	busy   int
	urgent []chan struct{}
	later  []chan struct{}
}

// acquire takes a slot, or returns ctx's error if ctx ends first. It
// lets the scheduler run due timers and waiting goroutines first.
func (g *gate) acquire(ctx context.Context, urgent bool) error {
	runtime.Gosched()
	g.mu.Lock()
	if g.busy < runtime.GOMAXPROCS(0) && len(g.urgent) == 0 && (urgent || len(g.later) == 0) {
		g.busy++
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if urgent {
		g.urgent = append(g.urgent, ch)
	} else {
		g.later = append(g.later, ch)
	}
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.drop(ch) { // handed a slot as ctx ended: give it on
			g.handOn()
		}
		return ctx.Err()
	}
}

// release gives the slot back, to the first waiter if there is one.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOn()
}

// handOn passes a held slot to the next waiter, or frees it. Callers hold mu.
func (g *gate) handOn() {
	for _, q := range []*[]chan struct{}{&g.urgent, &g.later} {
		if len(*q) > 0 {
			ch := (*q)[0]
			*q = (*q)[1:]
			close(ch)
			return
		}
	}
	g.busy--
}

// drop removes a waiter that gave up; false if it was already handed a slot.
func (g *gate) drop(ch chan struct{}) bool {
	for _, q := range []*[]chan struct{}{&g.urgent, &g.later} {
		for i, c := range *q {
			if c == ch {
				*q = append((*q)[:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}

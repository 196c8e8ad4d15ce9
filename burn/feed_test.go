package burn

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/drive"
)

// TestGateFeedsWritersFirst: with every core's slot taken, a waiting
// sealer (urgent) gets the next free slot before a read-back check that
// asked earlier, a check that gives up frees its place, and no slot is
// lost on the way.
func TestGateFeedsWritersFirst(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	g := &gate{}
	ctx := context.Background()
	for range 2 {
		if err := g.acquire(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 3)
	waitFor := func(urgent, later int) {
		for {
			g.mu.Lock()
			u, l := len(g.urgent), len(g.later)
			g.mu.Unlock()
			if u == urgent && l == later {
				return
			}
			runtime.Gosched()
		}
	}
	go func() { g.acquire(ctx, false); got <- "check" }()
	waitFor(0, 1)
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error)
	go func() { gaveUp <- g.acquire(cctx, false) }()
	waitFor(0, 2)
	go func() { g.acquire(ctx, true); got <- "seal" }()
	waitFor(1, 2)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire(cancelled) = %v, want %v", err, context.Canceled)
	}
	g.release()
	if first := <-got; first != "seal" {
		t.Errorf("first served = %s, want seal (a drive being fed before a read-back check)", first)
	}
	g.release()
	if second := <-got; second != "check" {
		t.Errorf("second served = %s, want check", second)
	}
	g.release()
	g.release()
	if g.busy != 0 || len(g.urgent)+len(g.later) != 0 {
		t.Errorf("gate after every release: %d busy, %d+%d waiting, want none", g.busy, len(g.urgent), len(g.later))
	}
}

// firstWrite records what a counter said when the first WRITE arrived.
type firstWrite struct {
	drive.Transport
	read *atomic.Int64
	at   atomic.Int64 // -1 until the first WRITE
}

func (w *firstWrite) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	if op := drive.Opcode(cdb[0]); op == drive.OpWrite10 || op == drive.OpWrite12 {
		w.at.CompareAndSwap(-1, w.read.Load())
	}
	return w.Transport.Do(cdb, dir, buf, timeout)
}

// TestCopyFillsBuffersBeforeFirstWrite: the copy sends the drive nothing,
// not even the header, until its buffers hold sealed chunks: a drive
// starts writing as data arrives, and a stream begun with the 64 KiB
// header alone (0.9 ms at 16x) runs dry before the first chunk is sealed.
func TestCopyFillsBuffersBeforeFirstWrite(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			f := newFixture(t, 1600) // 50 chunks of 64 KiB
			sim := newSim(t)
			job := f.job(t, sim, "job-1", nil)
			var cr *countingReader
			job.Package, cr = openCounting(t, f.path, job.Keys)
			job.SinglePass = true
			cr.n.Store(0)
			w := &firstWrite{Transport: sim, read: &cr.n}
			w.at.Store(-1)
			if _, err := Copy(context.Background(), newDrive(w), job); err != nil {
				t.Fatalf("Copy() = %v", err)
			}
			want := int64(newPipe().bufs) * (titlepkg.MinChunkSize + titlepkg.TagSize)
			if got := w.at.Load(); got < want {
				t.Errorf("package bytes read before the first WRITE = %d, want at least %d (every buffer's chunk)", got, want)
			}
		})
	}
}

// TestGateYieldsBeforeWork: taking a slot lets goroutines already
// runnable, and a timer already due, run first, even when the slot is
// free and nothing blocks. A sealer coming back from a package read keeps
// its P without passing through the scheduler; without this, a writer
// woken by its drive (a timer here) waits until the sealer blocks or is
// preempted. One P, so nothing else can run them.
func TestGateYieldsBeforeWork(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	g := &gate{}
	ctx := context.Background()
	var woken atomic.Bool
	go woken.Store(true) // runnable, not yet run: this goroutine holds the one P
	if err := g.acquire(ctx, true); err != nil {
		t.Fatal(err)
	}
	if !woken.Load() {
		t.Error("a runnable goroutine did not run before acquire returned")
	}
	g.release()

	var fired atomic.Bool
	tm := time.AfterFunc(time.Millisecond, func() { fired.Store(true) })
	defer tm.Stop()
	for end := time.Now().Add(3 * time.Millisecond); time.Now().Before(end); {
		// busy, as a sealer between a read and its work: no scheduling point
	}
	if err := g.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	if !fired.Load() {
		t.Error("a timer due 2 ms earlier did not fire before acquire returned")
	}
	g.release()
}

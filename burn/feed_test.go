package burn

import (
	"context"
	"errors"
	"runtime"
	"testing"
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

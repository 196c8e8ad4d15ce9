//go:build !nonode

package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestUnderrunWatch: a drive whose host sends the next WRITE after its
// buffer ran dry reports an underrun; the watch says which drive and how
// far into its write stream and what share of the host the simulator's
// copies took just before, and writes the execution trace of the seconds
// around it to the file asked for.
func TestUnderrunWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), InMemory: true, TimeScale: 1, SpeedX: 16, Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := drive.New(sim)
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	drivesim.MeasureMemoryCopies(true)
	defer drivesim.MeasureMemoryCopies(false)
	var log syncBuffer
	path := filepath.Join(t.TempDir(), "underrun.trace")
	u, err := startUnderrunWatch(path, []*drivesim.Drive{sim}, true, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Stop()
	// 64 KiB drains in under a millisecond at 16x: a pause of 50 ms
	// leaves the buffer empty for the rest.
	buf := make([]byte, 32*drive.SectorSize)
	if err := d.Write(ctx, 0, buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := d.Write(ctx, 32, buf); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(log.String(), path) {
		if ctx.Err() != nil {
			t.Fatalf("no trace written within a minute; the watch said:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := u.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if got := log.String(); !strings.Contains(got, "underrun: drive 0, 1 time(s)") || !strings.Contains(got, "into its write stream 1") || !strings.Contains(got, "the simulator's copies took ") {
		t.Errorf("the watch said %q, want drive 0's one underrun in its first write stream and the simulator's share of the host before it", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// An execution trace starts with its header, "go 1.N trace".
	if !bytes.HasPrefix(b, []byte("go 1.")) || !bytes.Contains(b[:16], []byte(" trace")) {
		t.Errorf("%s starts %q, want an execution trace's header", path, b[:min(len(b), 16)])
	}
}

// TestCopyShare: the share of the host's cores the simulator's copies took
// between the first mark and the last, as a percentage of GOMAXPROCS.
func TestCopyShare(t *testing.T) {
	t0 := time.Now()
	cores := float64(runtime.GOMAXPROCS(0))
	marks := []copyMark{{t0, time.Second}, {t0.Add(500 * time.Millisecond), time.Second}, {t0.Add(2 * time.Second), 2 * time.Second}}
	span, pct := copyShare(marks)
	if want := 100 / (2 * cores); span != 2*time.Second || math.Abs(pct-want) > 1e-9 {
		t.Errorf("copyShare(1 s of copies in 2 s) = %v, %.3f%%; want 2s, %.3f%% of %v cores", span, pct, want, cores)
	}
	for _, m := range [][]copyMark{nil, marks[:1], {marks[0], marks[0]}} {
		if span, pct := copyShare(m); span != 0 || pct != 0 {
			t.Errorf("copyShare(%d marks over no time) = %v, %v; want 0, 0", len(m), span, pct)
		}
	}
}

//go:build !nonode

package main

import (
	"bytes"
	"context"
	"fmt"
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
	if got := log.String(); !strings.Contains(got, "underrun: drive 0, 1 time(s)") || !strings.Contains(got, "into its write stream 1") || !strings.Contains(got, "the simulator's copies took ") ||
		!strings.Contains(got, "the whole process ") || !strings.Contains(got, "the watch's longest wait between ticks") {
		t.Errorf("the watch said %q, want drive 0's one underrun in its first write stream, the simulator's and the whole process's share of the host before it, and the watch's longest wait", got)
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
	marks := []watchMark{{at: t0, cpu: time.Second}, {at: t0.Add(500 * time.Millisecond), cpu: time.Second}, {at: t0.Add(2 * time.Second), cpu: 2 * time.Second}}
	span, pct := copyShare(marks)
	if want := 100 / (2 * cores); span != 2*time.Second || math.Abs(pct-want) > 1e-9 {
		t.Errorf("copyShare(1 s of copies in 2 s) = %v, %.3f%%; want 2s, %.3f%% of %v cores", span, pct, want, cores)
	}
	for _, m := range [][]watchMark{nil, marks[:1], {marks[0], marks[0]}} {
		if span, pct := copyShare(m); span != 0 || pct != 0 {
			t.Errorf("copyShare(%d marks over no time) = %v, %v; want 0, 0", len(m), span, pct)
		}
	}
}

// TestHostReport: an underrun's line gives the whole process's share of
// the cores over the marks, the garbage collections that finished, and
// the longest wait between two ticks with the process's share within it.
func TestHostReport(t *testing.T) {
	t0 := time.Now()
	cores := runtime.GOMAXPROCS(0)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// 1 s of marks: ticks every 20 ms but one wait of 100 ms (400 to 500
	// ms) in which the process used 1 ms of CPU; 300 ms of CPU in all;
	// two collections.
	var marks []watchMark
	for at, cpu := 0, 0; at <= 1000; at += 20 {
		if at > 400 && at < 500 {
			continue
		}
		gcs := uint64(7)
		if at >= 600 {
			gcs = 9
		}
		marks = append(marks, watchMark{at: t0.Add(ms(at)), proc: ms(cpu), cpu: ms(cpu) / 10, gcs: gcs})
		if at == 400 {
			cpu += 1
		} else {
			cpu += 7
		}
	}
	last := marks[len(marks)-1]
	gap, i := longestGap(marks)
	if gap != ms(100) || marks[i].at != t0.Add(ms(500)) {
		t.Fatalf("longestGap = %v ending at mark %d; want 100ms ending at 500 ms", gap, i)
	}
	whole := 100 * float64(last.proc) / (float64(time.Second) * float64(cores))
	inGap := 100 * float64(ms(1)) / (float64(ms(100)) * float64(cores))
	for _, tc := range []struct {
		copies bool
		want   string
	}{
		{true, fmt.Sprintf("; in the 1.0 s before, the simulator's copies took %.0f%% of the host's %d cores, the whole process %.0f%%, 2 garbage collections; the watch's longest wait between ticks (due every 20ms) 100 ms, the process using %.0f%% of the cores meanwhile",
			whole/10, cores, whole, inGap)},
		{false, fmt.Sprintf("; in the 1.0 s before, the process took %.0f%% of the host's %d cores, 2 garbage collections; the watch's longest wait between ticks (due every 20ms) 100 ms, the process using %.0f%% of the cores meanwhile",
			whole, cores, inGap)},
	} {
		if got := hostReport(marks, tc.copies); got != tc.want {
			t.Errorf("hostReport(copies %v) =\n%q\nwant\n%q", tc.copies, got, tc.want)
		}
	}
	for _, m := range [][]watchMark{nil, marks[:1], {marks[0], marks[0]}} {
		if got := hostReport(m, true); got != "" {
			t.Errorf("hostReport(%d marks over no time) = %q, want nothing", len(m), got)
		}
	}
}

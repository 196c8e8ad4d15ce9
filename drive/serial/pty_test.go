package serial_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"copystation/drive"
	"copystation/drive/serial"
	"copystation/internal/testenv"
)

var copysim struct {
	once sync.Once
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if copysim.bin != "" {
		os.RemoveAll(filepath.Dir(copysim.bin))
	}
	os.Exit(code)
}

// startCopysim runs copysim (the simulator's separate process) with args
// and returns the path of its drive pseudo-terminal.
func startCopysim(tb testing.TB, args ...string) string {
	tb.Helper()
	if runtime.GOOS != "linux" {
		testenv.Require(tb, "copysim's pseudo-terminals need Linux")
	}
	copysim.once.Do(func() {
		dir, err := os.MkdirTemp("", "copysim-bin-")
		if err != nil {
			copysim.err = err
			return
		}
		copysim.bin = filepath.Join(dir, "copysim")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", copysim.bin, "copystation/simulator/cmd/copysim").CombinedOutput()
		if err != nil {
			copysim.err = fmt.Errorf("go build copysim: %v\n%s", err, out)
		}
	})
	if copysim.err != nil {
		tb.Fatal(copysim.err)
	}
	dir := tb.TempDir()
	link := filepath.Join(dir, "drive")
	cmd := exec.Command(copysim.bin, append([]string{"--drive-link", link, "--robot-link", filepath.Join(dir, "robot"),
		"--dir", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start copysim: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("copysim stderr:\n%s", stderr.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(link); err == nil {
			return link
		}
		if time.Now().After(deadline) {
			tb.Fatalf("copysim drive link did not appear within 20s")
		}
	}
}

func openPty(tb testing.TB, link string) (*drive.Drive, *serial.Transport) {
	tb.Helper()
	tr, err := serial.Open(link, serial.Options{RetryInterval: 100 * time.Millisecond, LinkAllowance: time.Second})
	if err != nil {
		tb.Fatalf("serial.Open(%s) = %v", link, err)
	}
	tb.Cleanup(func() { tr.Close() })
	return drive.New(tr, drive.WithBackoff(time.Millisecond, 50*time.Millisecond, 30*time.Second)), tr
}

func randomImage(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// TestPtyBDRSession is the whole path a station takes: a full BD-R
// write, close and finalise through the serial transport over a real
// pseudo-terminal to copysim, read back identical. The second run puts a
// line that drops and corrupts a fifth of the drive's frames in between.
func TestPtyBDRSession(t *testing.T) {
	for _, line := range [][]string{nil, {"--fault-line-drop", "0.1", "--fault-line-corrupt", "0.1"}} {
		t.Run(fmt.Sprintf("line %v", line), func(t *testing.T) {
			d, _ := openPty(t, startCopysim(t, append([]string{"--loaded", "--seed", "3"}, line...)...))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := d.WaitReady(ctx); err != nil {
				t.Fatalf("WaitReady() = %v", err)
			}
			mi, err := d.MediaInfo(ctx)
			if err != nil || mi.State != drive.StateBlank || mi.CapacitySectors != drive.BDRSingleLayer || len(mi.MediaID) != 16 {
				t.Fatalf("MediaInfo() = %+v, %v; want a blank BD-R 25 with a media ID", mi, err)
			}
			if _, err := d.ChooseWriteSpeed(ctx, 6); err != nil {
				t.Fatalf("ChooseWriteSpeed(6) = %v", err)
			}
			img := randomImage(2<<20 + 3*drive.SectorSize)
			res, err := d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{StartLBA: mi.NextWritable})
			if err != nil || res.Bytes != int64(len(img)) {
				t.Fatalf("WriteImage() = %+v, %v", res, err)
			}
			for _, step := range []struct {
				name string
				fn   func(context.Context) error
			}{
				{"SynchronizeCache", d.SynchronizeCache},
				{"CloseTrack", func(ctx context.Context) error { return d.CloseTrack(ctx, mi.OpenTrack) }},
				{"Finalize", d.Finalize},
			} {
				if err := step.fn(ctx); err != nil {
					t.Fatalf("%s() = %v", step.name, err)
				}
			}
			got := make([]byte, len(img))
			if err := d.Read(ctx, mi.NextWritable, got); err != nil || !bytes.Equal(got, img) {
				t.Fatalf("Read() = %v, identical %v", err, bytes.Equal(got, img))
			}
			if after, err := d.MediaInfo(ctx); err != nil || after.State != drive.StateComplete {
				t.Fatalf("MediaInfo() after Finalize = %+v, %v; want complete", after, err)
			}
		})
	}
}

// TestPtyFaults: every fault copysim injects reaches the host over the pty
// as the right typed error, before the caller's deadline.
func TestPtyFaults(t *testing.T) {
	unit := randomImage(drive.ClusterSize)
	writeThenRead := func(ctx context.Context, d *drive.Drive) error {
		if err := d.Write(ctx, 0, unit); err != nil {
			return err
		}
		if err := d.SynchronizeCache(ctx); err != nil {
			return err
		}
		return d.Read(ctx, 0, make([]byte, len(unit)))
	}
	write := func(ctx context.Context, d *drive.Drive) error { return d.Write(ctx, 0, append(unit, unit...)) }
	tests := []struct {
		name    string
		args    []string
		ready   bool // wait until ready before the faulty step
		waits   bool // the step can only end at its deadline
		run     func(ctx context.Context, d *drive.Drive) error
		want    error
		wantLBA int64
	}{
		{"write error", []string{"--fault-write-error", "40"}, true, false, write, drive.ErrWriteError, 40},
		{"medium error", []string{"--fault-medium-error", "7"}, true, false, writeThenRead, drive.ErrUnrecoveredRead, 7},
		{"power loss", []string{"--fault-power-loss", "0"}, true, false, write, drive.ErrTransport, -1},
		{"command never answers", []string{"--fault-hang", "aa"}, true, true, write, drive.ErrTimeout, -1},
		{"no medium", nil, false, false, func(ctx context.Context, d *drive.Drive) error { return d.WaitReady(ctx) }, drive.ErrMediumNotPresent, -1},
		{"long not ready", []string{"--fault-not-ready", "1h"}, false, true, func(ctx context.Context, d *drive.Drive) error { return d.WaitReady(ctx) }, drive.ErrBecomingReady, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.name != "no medium" {
				args = append([]string{"--loaded"}, args...)
			}
			d, _ := openPty(t, startCopysim(t, args...))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if tc.ready {
				if err := d.WaitReady(ctx); err != nil {
					t.Fatalf("WaitReady() = %v", err)
				}
			}
			// A step that ends at its deadline gets a short one, to keep the
			// test quick; a step that fails on its own gets room to do so on
			// a loaded machine, its deadline being only a bound.
			budget := 30 * time.Second
			if tc.waits {
				// Long enough that the first command (before which no
				// retry has a reason to report) ends well inside it.
				budget = 3 * time.Second
			}
			fctx, fcancel := context.WithTimeout(ctx, budget)
			defer fcancel()
			start := time.Now()
			err := tc.run(fctx, d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			// The transport may add its link allowance (1 s) to a command the
			// context's deadline cut short; the rest is slack for a loaded
			// machine, still far short of the 2-minute outer context.
			if took := time.Since(start); took > budget+15*time.Second {
				t.Errorf("returned after %v, past its %v deadline", took, budget)
			}
			var se *drive.SenseError
			if tc.wantLBA >= 0 && (!errors.As(err, &se) || !se.LBAValid || int64(se.LBA) != tc.wantLBA) {
				t.Errorf("error = %v, want a SenseError at LBA %d", err, tc.wantLBA)
			}
		})
	}
}

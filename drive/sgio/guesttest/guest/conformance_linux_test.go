package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"copystation/drive"
	"copystation/drive/drivetest"
	"copystation/drive/sgio"
	"copystation/drive/sgio/guesttest/report"
	"copystation/drive/sgio/guesttest/tcmu"
	"copystation/simulator/drivesim"
)

// TestConformanceSGIO runs the drive package's conformance suite, which
// every transport must pass, on the real SG_IO transport: /dev/sg* and
// /dev/sr* of a simulated BD burner that the guest kernel sees through
// TCMU and tcm_loop.
func TestConformanceSGIO(t *testing.T) {
	if os.Getenv(InGuestEnv) == "" {
		t.Skip("runs inside the QEMU guest started by drive/sgio/guesttest (TestGuestTCMU)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	loop, err := tcmu.NewLoopTarget("naa.5001405c0ffee101", "naa.5001405c0ffee102")
	if err != nil {
		t.Fatal(err)
	}
	before := scanDevices()
	trace := &opTrace{count: map[byte]int{}}
	sim, closeLUN, err := serveLUN(ctx, loop, "conf0", 0, drivesim.Options{Dir: "/tmp/conf0", Media: drivesim.BDR25, Seed: 3},
		trace, report.NewWriter(io.Discard))
	t.Cleanup(func() {
		cancel()
		if closeLUN != nil {
			closeLUN()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := newDevice(before)
	if err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{dev.sg, dev.sr} {
		t.Run(filepath.Base(node), func(t *testing.T) {
			drivetest.RunConformance(t, func(t *testing.T) drive.Transport {
				// Every subtest gets a fresh blank BD-R.
				if _, err := sim.Remove(); err != nil && !errors.Is(err, drivesim.ErrEmpty) {
					t.Fatal(err)
				}
				if err := sim.Insert(drivesim.BDR25); err != nil {
					t.Fatal(err)
				}
				d, err := sgio.Open(node)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				return d
			})
		})
	}
}

// newDevice waits for the CD drive that was not there before.
func newDevice(before []device) (device, error) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, d := range scanDevices() {
			if !slices.ContainsFunc(before, func(b device) bool { return b.hctl == d.hctl }) {
				return d, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return device{}, errors.New("the conformance LUN did not appear")
}

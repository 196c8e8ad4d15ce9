package drive_test

import (
	"context"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestLongOpSeenDoneSoon: a finalise that the drive models as taking 15 s
// (drivesim, throttled, on a clock that moves as the host waits) is seen
// done by the host's TEST UNIT READY polls within 50 ms of its end, not on
// an error backoff that doubles to a second: that second was each tower
// disc's drive time lost.
func TestLongOpSeenDoneSoon(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25, Clock: clk, TimeScale: 1, LoadTime: time.Second})
	d := drive.New(sim, drive.WithClock(clk))
	ctx := context.Background()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	if err := d.Write(ctx, 0, make([]byte, 32*drive.SectorSize)); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	if err := d.SynchronizeCache(ctx); err != nil {
		t.Fatalf("SynchronizeCache() = %v", err)
	}
	before, start := sim.Stats().Closing, clk.Now()
	if err := d.Finalize(ctx); err != nil {
		t.Fatalf("Finalize() = %v", err)
	}
	modelled := sim.Stats().Closing - before
	if took := clk.Now().Sub(start); took < modelled || took > modelled+50*time.Millisecond {
		t.Errorf("Finalize() took %v of clock time, want the modelled %v plus at most 50 ms of polling", took, modelled)
	}
}

package drive_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"copystation/drive"
	"copystation/drive/drivetest"
	"copystation/simulator/drivesim"
)

// fakeClock advances only when waited on, and records every wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func notReady(asc, ascq byte) drivetest.Exchange {
	return drivetest.Exchange{CDB: drive.TestUnitReady{}.CDB(), Status: drive.StatusCheckCondition,
		Sense: []byte{0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq}}
}

// TestBackoff replays a drive that is becoming ready, then reports a unit
// attention, then is ready; the waits come from the injected clock.
func TestBackoff(t *testing.T) {
	ua := drivetest.Exchange{CDB: drive.TestUnitReady{}.CDB(), Status: drive.StatusCheckCondition,
		Sense: []byte{0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0}}
	ok := drivetest.Exchange{CDB: drive.TestUnitReady{}.CDB()}
	p := &drivetest.Playback{Ops: []drivetest.Exchange{notReady(4, 1), notReady(4, 1), notReady(4, 8), notReady(4, 1), notReady(4, 1), ua, ok}}
	clk := &fakeClock{now: time.Unix(1000, 0)}
	d := drive.New(p, drive.WithClock(clk), drive.WithBackoff(10*time.Millisecond, 40*time.Millisecond, time.Minute))
	if err := d.WaitReady(context.Background()); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Playback.Close() = %v", err)
	}
	want := []time.Duration{10, 20, 40, 40, 40, 40}
	if len(clk.waits) != len(want) {
		t.Fatalf("waits = %v, want %v ms", clk.waits, want)
	}
	for i, w := range want {
		if clk.waits[i] != w*time.Millisecond {
			t.Errorf("wait %d = %v, want %v", i, clk.waits[i], w*time.Millisecond)
		}
	}
}

// TestRetryLimit: a drive that never becomes ready makes WaitReady give up
// after the retry limit, in clock time, naming the condition.
func TestRetryLimit(t *testing.T) {
	var ops []drivetest.Exchange
	for range 11 {
		ops = append(ops, notReady(4, 1))
	}
	p := &drivetest.Playback{Ops: ops}
	clk := &fakeClock{}
	d := drive.New(p, drive.WithClock(clk), drive.WithBackoff(time.Second, time.Second, 10*time.Second))
	err := d.WaitReady(context.Background())
	if !errors.Is(err, drive.ErrBecomingReady) || len(clk.waits) != 10 {
		t.Errorf("WaitReady() = %v after %d waits, want %v after 10", err, len(clk.waits), drive.ErrBecomingReady)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Playback.Close() = %v", err)
	}
}

func TestLockEjectLoad(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
	d := fastDrive(sim)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	if err := d.Lock(ctx, true); err != nil {
		t.Fatalf("Lock(true) = %v", err)
	}
	if err := d.Eject(ctx); !errors.Is(err, drive.ErrIllegalRequest) || sim.TrayOpen() {
		t.Fatalf("Eject() while locked = %v, tray open %v; want %v", err, sim.TrayOpen(), drive.ErrIllegalRequest)
	}
	if err := d.Lock(ctx, false); err != nil {
		t.Fatalf("Lock(false) = %v", err)
	}
	if err := d.Eject(ctx); err != nil || !sim.TrayOpen() {
		t.Fatalf("Eject() = %v, tray open %v", err, sim.TrayOpen())
	}
	if err := d.Load(ctx); err != nil || sim.TrayOpen() {
		t.Fatalf("Load() = %v, tray open %v", err, sim.TrayOpen())
	}
	if mi, err := d.MediaInfo(ctx); err != nil || mi.State != drive.StateBlank {
		t.Errorf("MediaInfo() after reload = %+v, %v", mi, err)
	}
}

func TestChooseWriteSpeed(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25, SpeedX: 12})
	d := fastDrive(sim)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	var prev float64
	for _, maxX := range []int{0, 1, 4, 6, 8, 12, 16, 99} {
		sp, err := d.ChooseWriteSpeed(ctx, maxX)
		if err != nil {
			t.Fatalf("ChooseWriteSpeed(%d) = %v", maxX, err)
		}
		if (maxX >= 1 && sp.X > float64(maxX)+0.01) || sp.X > 12.01 || sp.X < prev {
			t.Errorf("ChooseWriteSpeed(%d) = %.2fx, want at most %dx and 12x, not below %.2fx", maxX, sp.X, maxX, prev)
		}
		prev = sp.X
	}
}

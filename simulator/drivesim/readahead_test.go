package drivesim

import (
	"fmt"
	"testing"
	"time"

	"copystation/drive"
)

// doClocked runs one command on a throttled drive, moving the fake clock
// to each time the command waits for, and returns the clock time it took.
// Whether the command waits at all is the model's answer, not the host's
// timing: a command that completes at once never waits on the clock.
func doClocked(t *testing.T, d *Drive, clk *fakeClock, cdb []byte, dir drive.Direction, buf []byte) time.Duration {
	t.Helper()
	start := clk.Now()
	done := make(chan error, 1)
	go func() {
		r, err := d.Do(cdb, dir, buf, time.Hour)
		if err == nil && r.Status != drive.StatusGood {
			err = fmt.Errorf("status %v, sense % x", r.Status, r.Sense)
		}
		done <- err
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Do(% x) = %v", cdb, err)
			}
			return clk.Now().Sub(start)
		default:
		}
		if at := clk.earliest(); !at.IsZero() {
			clk.Advance(at.Sub(clk.Now()))
			continue
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestReadAhead: a throttled drive reads at ReadRate; after a READ it
// prefetches the following sectors until its buffer (4 MiB, 2,048
// sectors) is full, so a READ continuing the stream returns at once when
// its data is there; a host later than the buffer lasts leaves the drive
// idle, counted in ReadIdle and ReadStalls; a READ elsewhere starts a new
// stream.
func TestReadAhead(t *testing.T) {
	d, clk := newTestDrive(t, BDR25, Options{TimeScale: 1})
	buf := make([]byte, 512*drive.SectorSize)
	for lba := uint32(0); lba < 4096; lba += 512 {
		doClocked(t, d, clk, cdbWrite12(lba, 512, true), drive.DirOut, buf)
	}
	doClocked(t, d, clk, cdbSync(false), drive.DirNone, nil)
	before := d.Stats()

	per := sectorReadTime
	read := func(lba, n uint32) time.Duration {
		return doClocked(t, d, clk, cdbRead12(lba, n), drive.DirIn, make([]byte, int(n)*drive.SectorSize))
	}
	steps := []struct {
		name     string
		lba, n   uint32
		idleFor  time.Duration // the host's delay before the READ
		wantTook time.Duration
	}{
		{"new stream reads at speed", 0, 512, 0, 512 * per},
		{"buffer filled 10 ms before the READ", 512, 512, 2048*per + 10*time.Millisecond, 0},
		{"the rest of the prefetch", 1024, 1536, 0, 0},
		{"past the prefetch, right behind it", 2560, 512, 0, 512 * per},
		{"behind by less than the buffer lasts", 3072, 512, 100 * per, 412 * per},
		{"elsewhere: a new stream", 0, 16, 0, 16 * per},
	}
	for _, s := range steps {
		clk.Advance(s.idleFor)
		if got := read(s.lba, s.n); got != s.wantTook {
			t.Errorf("%s: READ(%d, %d) took %v, want %v", s.name, s.lba, s.n, got, s.wantTook)
		}
	}
	got := d.Stats()
	got.Writing, got.Starved, got.Underruns, got.Streams, got.Closing, got.Loading = before.Writing, before.Starved, before.Underruns, before.Streams, before.Closing, before.Loading
	want := before
	want.Reading = (512 + 512 + 1536 + 512 + 512 + 16) * per
	want.ReadBytes = (512 + 512 + 1536 + 512 + 512 + 16) * drive.SectorSize
	want.ReadIdle, want.ReadStalls, want.ReadStreams = 10*time.Millisecond, 1, 2
	if got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if s, w := got.ReadShare(), float64(want.Reading)/float64(want.Reading+want.ReadIdle); s != w {
		t.Errorf("ReadShare() = %v, want %v", s, w)
	}
}

// TestReadAheadUnthrottled: TimeScale 0 keeps READ instant and counts
// nothing, as unit tests and the in-memory pipeline bench need.
func TestReadAheadUnthrottled(t *testing.T) {
	d, clk := newTestDrive(t, BDR25, Options{})
	buf := make([]byte, 64*drive.SectorSize)
	run(t, d, cdbWrite12(0, 64, false), drive.DirOut, buf)
	if took := doClocked(t, d, clk, cdbRead12(0, 64), drive.DirIn, buf); took != 0 {
		t.Errorf("unthrottled READ took %v of clock time, want 0", took)
	}
	if s := d.Stats(); s.Reading != 0 || s.ReadBytes != 0 || s.ReadStreams != 0 {
		t.Errorf("Stats() = %+v, want no read counters unthrottled", s)
	}
}

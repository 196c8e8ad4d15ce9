package drivesim

import (
	"testing"
	"time"

	"copystation/drive"
)

// TestStreamStats: a WRITE that finds the buffer already empty inside a
// stream is an underrun, and the time it sat empty is starved time; a
// SYNCHRONIZE CACHE ends the stream, so the gap after it is not.
func TestStreamStats(t *testing.T) {
	d, clk, write, drain := streamDrive(t)
	write(0)
	clk.Advance(10 * time.Millisecond) // the buffer ran dry after `drain`
	write(32)
	write(64)                                                                 // right behind: the buffer still holds data
	run(t, d, []byte{0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0}, drive.DirNone, nil) // SYNCHRONIZE CACHE, IMMED
	clk.Advance(time.Second)
	write(96) // a new stream
	got := d.Stats()
	// The longest gap inside a stream: the 10 ms before the WRITE that found the buffer empty.
	want := Stats{Writing: 4 * drain, Starved: 10*time.Millisecond - drain, Underruns: 1, Streams: 2, LongestGap: 10 * time.Millisecond} // the blank was in at power-on: no load
	if got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if share, w := got.FedShare(), float64(want.Writing)/float64(want.Writing+want.Starved); share != w {
		t.Errorf("FedShare() = %.3f, want %.3f", share, w)
	}
}

// TestStreamLongestGap: the longest time from a WRITE's completion to
// the host's next WRITE inside a stream is kept, whether or not the
// buffer ran dry meanwhile; the gap before a new stream is not counted.
func TestStreamLongestGap(t *testing.T) {
	d, clk, write, drain := streamDrive(t)
	write(0)
	clk.Advance(drain / 4) // back before the buffer ran dry
	write(32)
	clk.Advance(drain / 8)
	write(64)
	if got := d.Stats(); got.LongestGap != drain/4 || got.Underruns != 0 {
		t.Errorf("Stats() = %+v, want LongestGap %v, no underrun", got, drain/4)
	}
	run(t, d, []byte{0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0}, drive.DirNone, nil) // SYNCHRONIZE CACHE, IMMED: the stream ends
	clk.Advance(time.Second)
	write(96)
	if got := d.Stats(); got.LongestGap != drain/4 {
		t.Errorf("after a new stream Stats() = %+v, want LongestGap still %v", got, drain/4)
	}
}

// streamDrive is a throttled 16x drive on a fake clock with a blank BD-R
// in, ready, and a WRITE of 32 sectors at an LBA, drain long at 16x.
func streamDrive(t *testing.T) (d *Drive, clk *fakeClock, write func(lba uint32), drain time.Duration) {
	t.Helper()
	clk = newFakeClock()
	d, err := New(Options{Clock: clk, Dir: t.TempDir(), TimeScale: 1, SpeedX: 16, Media: BDR25, LoadTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	clk.Advance(time.Second)
	for range 3 { // power-on and new-medium attentions
		d.Do(cdbTUR(), drive.DirNone, nil, time.Second)
	}
	run(t, d, cdbTUR(), drive.DirNone, nil)
	buf := make([]byte, 32*drive.SectorSize)
	drain = time.Duration(float64(len(buf)) / (16 * 4.5e6) * float64(time.Second))
	write = func(lba uint32) { run(t, d, cdbWrite12(lba, 32, true), drive.DirOut, buf) }
	return d, clk, write, drain
}

package drivesim

import (
	"copystation/drive"
	"encoding/hex"
	"testing"
	"time"
)

var (
	cdbEject   = []byte{0x1B, 0, 0, 0, 0x02, 0}
	cdbLoad    = []byte{0x1B, 0, 0, 0, 0x03, 0}
	cdbPrevent = []byte{0x1E, 0, 0, 0, 0x01, 0}
	cdbAllow   = []byte{0x1E, 0, 0, 0, 0x00, 0}
	cdbGESN    = []byte{0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0}
)

// TestAttentionAndReadiness follows a drive from power-on through a disc
// load, spin-up, eject and reload, checking each sense a host sees.
func TestAttentionAndReadiness(t *testing.T) {
	clk := newFakeClock()
	d, err := New(Options{Clock: clk, Dir: t.TempDir(), TimeScale: 1, LoadTime: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// INQUIRY is not held back by a unit attention.
	run(t, d, []byte{0x12, 0, 0, 0, 36, 0}, drive.DirIn, make([]byte, 36))
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(6, 0x29, 0, nil, [3]byte{}))
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x3A, 0x01, nil, [3]byte{}))

	if err := d.Insert(BDR25); err != nil {
		t.Fatalf("Insert(BDR25) = %v", err)
	}
	if got := hex.EncodeToString(run(t, d, cdbGESN, drive.DirIn, make([]byte, 8))); got != "0006041002020000" {
		t.Errorf("GESN after insert = %s, want NewMedia, present", got)
	}
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(6, 0x28, 0, nil, [3]byte{}))
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x04, 0x01, nil, [3]byte{}))
	clk.Advance(4 * time.Second)
	run(t, d, cdbTUR(), drive.DirNone, nil)

	run(t, d, cdbPrevent, drive.DirNone, nil)
	wantSense(t, d, cdbEject, drive.DirNone, nil, fixedSense(5, 0x53, 0x02, nil, [3]byte{}))
	run(t, d, cdbAllow, drive.DirNone, nil)
	run(t, d, cdbEject, drive.DirNone, nil)
	if !d.TrayOpen() {
		t.Errorf("TrayOpen() after eject = false, want true")
	}
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x3A, 0x02, nil, [3]byte{}))
	if got := hex.EncodeToString(run(t, d, cdbGESN, drive.DirIn, make([]byte, 8))); got != "0006041003030000" {
		t.Errorf("GESN after eject = %s, want MediaRemoval, present, tray open", got)
	}
	run(t, d, cdbLoad, drive.DirNone, nil)
	// REQUEST SENSE reports the pending attention and clears it.
	rs := run(t, d, []byte{0x03, 0, 0, 0, 18, 0}, drive.DirIn, make([]byte, 18))
	if got := hex.EncodeToString(rs); got != fixedSense(6, 0x28, 0, nil, [3]byte{}) {
		t.Errorf("REQUEST SENSE = %s, want 06/28/00", got)
	}
	rs = run(t, d, []byte{0x03, 0, 0, 0, 18, 0}, drive.DirIn, make([]byte, 18))
	if got := hex.EncodeToString(rs); got != fixedSense(2, 0x04, 0x01, nil, [3]byte{}) {
		t.Errorf("REQUEST SENSE while spinning up = %s, want 02/04/01", got)
	}
	clk.Advance(4 * time.Second)
	run(t, d, cdbTUR(), drive.DirNone, nil)
	disc, err := d.Remove()
	if err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	defer disc.Close()
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x3A, 0x01, nil, [3]byte{}))
	if err := d.InsertDisc(disc); err != nil {
		t.Fatalf("InsertDisc = %v", err)
	}
	if err := d.Insert(BDR25); err == nil {
		t.Errorf("Insert into a full drive = nil, want ErrOccupied")
	}
}

func TestDescriptorSense(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{DescriptorSense: true})
	wantSense(t, d, cdbRead12(5, 1), drive.DirIn, make([]byte, 2048),
		h("72 05 21 00 000000 0c  00 0a 80 00 0000000000000005"))
	rs := run(t, d, []byte{0x03, 0x01, 0, 0, 252, 0}, drive.DirIn, make([]byte, 252))
	if got := hex.EncodeToString(rs); got != h("72 00 00 00 000000 00") {
		t.Errorf("REQUEST SENSE(DESC) = %s, want NO SENSE in descriptor format", got)
	}
}

func TestBDREFormatAndRewrite(t *testing.T) {
	d, clk := newTestDrive(t, BDRE25, Options{TimeScale: 1})
	if got := readDiscInfo(t, d); got.status != statusEmpty || !got.erasable {
		t.Errorf("unformatted BD-RE disc info = %+v, want blank, erasable", got)
	}
	wantSense(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32), fixedSense(5, 0x30, 0x10, nil, [3]byte{}))
	rfc := run(t, d, cdbAlloc10(drive.OpReadFormatCapacities, 0, 252), drive.DirIn, make([]byte, 252))
	if got := hex.EncodeToString(rfc); got != h("000000 18  00b47400 01 000800  00b47400 00 000000  00ba7400 c4 000000") {
		t.Errorf("READ FORMAT CAPACITIES = %s", got)
	}
	param := []byte{0, 0x02, 0, 8, 0, 0, 0, 0, 0x31 << 2, 0, 0, 0} // IMMED, type 31h
	run(t, d, []byte{0x04, 0x11, 0, 0, 0, 0}, drive.DirOut, param)
	clk.Advance(30 * time.Second)
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x04, 0x04, nil, [3]byte{0x80, 0x7F, 0xFF}))
	clk.Advance(30 * time.Second)
	run(t, d, cdbTUR(), drive.DirNone, nil)
	if c := readCapacity(t, d); c != drive.BDRSingleLayer-1 {
		t.Errorf("READ CAPACITY after format 31h = %d, want %d", c, drive.BDRSingleLayer-1)
	}
	run(t, d, cdbWrite12(1000, 32, true), drive.DirOut, pattern(1000, 32))
	run(t, d, cdbWrite12(1000, 32, true), drive.DirOut, pattern(0, 32)) // rewrite in place
	// A throttled READ takes time: the clock moves for it.
	got := make([]byte, 32*2048)
	doClocked(t, d, clk, cdbRead12(1000, 32), drive.DirIn, got)
	if !equalBytes(got, pattern(0, 32)) {
		t.Errorf("BD-RE read after rewrite differs")
	}
	if got := readDiscInfo(t, d); got.status != statusOthers || got.lastSession != 3 {
		t.Errorf("formatted BD-RE disc info = %+v, want status 3 (random access), session complete", got)
	}
	wantSense(t, d, []byte{0x53, 0, 0, 0, 0, 0, 0, 1, 0, 0}, drive.DirNone, nil, fixedSense(5, 0x64, 0, nil, [3]byte{}))
}

func TestLongWriteInProgress(t *testing.T) {
	d, clk := newTestDrive(t, BDR25, Options{TimeScale: 1, SpeedX: 1})
	// 2 MiB at 1x takes about 466 ms; it fits the 4 MiB cache, so WRITE
	// returns at once and the drive records in the background.
	const n = 1024
	run(t, d, cdbWrite12(0, n, true), drive.DirOut, pattern(0, n))
	run(t, d, cdbSync(true), drive.DirNone, nil)
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x04, 0x08, nil, [3]byte{0x80, 0, 0}))
	wantSense(t, d, cdbWrite12(n, 32, true), drive.DirOut, pattern(n, 32), fixedSense(2, 0x04, 0x08, nil, [3]byte{0x80, 0, 0}))
	clk.Advance(500 * time.Millisecond)
	run(t, d, cdbTUR(), drive.DirNone, nil)
	// CLOSE with IMMED: finalising takes 15 s of model time.
	run(t, d, cdbClose(closeFinalize, 0, true), drive.DirNone, nil)
	clk.Advance(14 * time.Second)
	res, _ := d.Do(cdbTUR(), drive.DirNone, nil, time.Second)
	if res.Status != drive.StatusCheckCondition || res.Sense[12] != 0x04 || res.Sense[13] != 0x08 {
		t.Errorf("TUR during finalise = %x, want 02/04/08", res.Sense)
	}
	clk.Advance(time.Second)
	run(t, d, cdbTUR(), drive.DirNone, nil)
}

// TestThrottledWriteWaits checks that a write beyond the cache blocks until
// the modelled drive has room, and that Do honours the clock.
func TestThrottledWriteWaits(t *testing.T) {
	d, clk := newTestDrive(t, BDR25, Options{TimeScale: 1, SpeedX: 16, CacheSize: 1 << 20})
	start := clk.Now()
	done := make(chan error, 1)
	go func() {
		_, err := d.Do(cdbWrite12(0, 4096, true), drive.DirOut, pattern(0, 4096), time.Minute)
		done <- err
	}()
	// 8 MiB at 72 MB/s drains in about 116.5 ms, and WRITE returns once
	// all but the last 1 MiB (about 14.6 ms) has drained: at about 101.9
	// ms. The clock stands still until the WRITE waits on it, so its wait
	// is the model's alone, however long the writer took to start (a
	// loaded machine under -race is slow); then the clock is moved to just
	// short of it (WRITE still waits), and to it (WRITE returns).
	at := clk.nextWait(t, 30*time.Second)
	if w := at.Sub(start); w < 100*time.Millisecond || w > 104*time.Millisecond {
		t.Fatalf("throttled WRITE waits %v of clock time, want about 101.9 ms", w)
	}
	clk.Advance(at.Sub(start) - time.Microsecond)
	select {
	case err := <-done:
		t.Fatalf("throttled WRITE returned (%v) before the buffer had drained to its size", err)
	default:
	}
	clk.Advance(time.Microsecond)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("throttled WRITE = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("throttled WRITE did not return once its clock time had passed")
	}
}

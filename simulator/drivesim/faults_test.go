package drivesim

import (
	"copystation/drive"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

func TestMediumAndWriteErrors(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{Faults: []Fault{
		{Kind: FaultMediumError, LBA: 40, Count: 1},
		{Kind: FaultWriteError, LBA: 70, Sectors: 2, Count: 1},
	}})
	run(t, d, cdbWrite12(0, 64, true), drive.DirOut, pattern(0, 64))
	wantSense(t, d, cdbRead12(32, 32), drive.DirIn, make([]byte, 64*1024), fixedSense(3, 0x11, 0, lbaPtr(40), [3]byte{}))
	run(t, d, cdbRead12(32, 32), drive.DirIn, make([]byte, 64*1024)) // fired once only
	wantSense(t, d, cdbWrite12(64, 32, true), drive.DirOut, pattern(64, 32), fixedSense(3, 0x0C, 0, lbaPtr(70), [3]byte{}))
	if got := readTrack(t, d, 1, 1); got.nwa != 64 {
		t.Errorf("NWA after failed write = %d, want 64 (nothing recorded)", got.nwa)
	}
	run(t, d, cdbWrite12(64, 32, true), drive.DirOut, pattern(64, 32))
}

func TestPowerLossLosesCache(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{Faults: []Fault{{Kind: FaultPowerLoss, LBA: 64, Count: 1}}})
	run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
	run(t, d, cdbSync(false), drive.DirNone, nil)
	run(t, d, cdbWrite12(32, 32, true), drive.DirOut, pattern(32, 32)) // cached only
	_, err := d.Do(cdbWrite12(64, 32, true), drive.DirOut, pattern(64, 32), time.Second)
	if !errors.Is(err, ErrPowerLoss) || !errors.Is(err, drive.ErrTransport) {
		t.Fatalf("WRITE during power loss = %v, want ErrPowerLoss and drive.ErrTransport", err)
	}
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(6, 0x29, 0, nil, [3]byte{}))
	if got := readTrack(t, d, 1, 1); got.nwa != 32 {
		t.Errorf("NWA after power loss = %d, want 32: the cached sectors were never recorded", got.nwa)
	}
	wantSense(t, d, cdbRead12(32, 1), drive.DirIn, make([]byte, 2048), fixedSense(5, 0x21, 0, lbaPtr(32), [3]byte{}))
	got := run(t, d, cdbRead12(0, 32), drive.DirIn, make([]byte, 32*2048))
	if !equalBytes(got, pattern(0, 32)) {
		t.Errorf("flushed sectors differ after power loss")
	}
}

func TestPowerLossBDRE(t *testing.T) {
	d, _ := newTestDrive(t, BDRE25, Options{})
	run(t, d, []byte{0x04, 0x11, 0, 0, 0, 0}, drive.DirOut, []byte{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0})
	run(t, d, cdbWrite12(500, 32, true), drive.DirOut, pattern(500, 32))
	d.PowerCycle()
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(6, 0x29, 0, nil, [3]byte{}))
	got := run(t, d, cdbRead12(500, 32), drive.DirIn, make([]byte, 32*2048))
	if !equalBytes(got, make([]byte, 32*2048)) {
		t.Errorf("BD-RE sectors cached at power loss still hold data, want them lost")
	}
}

func TestPeriodFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		want  string
	}{
		{"reset", Fault{Kind: FaultReset, Count: 1}, fixedSense(6, 0x29, 0, nil, [3]byte{})},
		{"no medium", Fault{Kind: FaultNoMedium, Count: 1, Duration: 5 * time.Second}, fixedSense(2, 0x3A, 0, nil, [3]byte{})},
		{"becoming ready", Fault{Kind: FaultBecomingReady, Count: 1, Duration: 5 * time.Second}, fixedSense(2, 0x04, 0x01, nil, [3]byte{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, clk := newTestDrive(t, BDR25, Options{})
			d.Inject(tt.fault)
			wantSense(t, d, cdbTUR(), drive.DirNone, nil, tt.want)
			clk.Advance(5 * time.Second)
			run(t, d, cdbTUR(), drive.DirNone, nil)
		})
	}
}

func TestHangEndsAtDeadline(t *testing.T) {
	t.Run("system clock", func(t *testing.T) {
		d, err := New(Options{Dir: t.TempDir(), Media: BDR25, Faults: []Fault{{Kind: FaultHang, Ops: []drive.Opcode{drive.OpSynchronizeCache}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		done := make(chan error, 1)
		go func() {
			_, err := d.Do(cdbSync(false), drive.DirNone, nil, 30*time.Millisecond)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, drive.ErrTimeout) {
				t.Errorf("hung SYNCHRONIZE CACHE = %v, want drive.ErrTimeout", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("hung command did not return at its deadline")
		}
	})
	t.Run("close unblocks", func(t *testing.T) {
		d, clk := newTestDrive(t, BDR25, Options{})
		d.Inject(Fault{Kind: FaultHang})
		done := make(chan error, 1)
		go func() {
			_, err := d.Do(cdbTUR(), drive.DirNone, nil, time.Hour)
			done <- err
		}()
		time.Sleep(5 * time.Millisecond)
		clk.Advance(time.Minute)
		d.Close()
		select {
		case err := <-done:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("hung TUR after Close = %v, want ErrClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not end a hung command")
		}
	})
	t.Run("slow operation longer than timeout", func(t *testing.T) {
		d, clk := newTestDrive(t, BDR25, Options{TimeScale: 1})
		run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
		done := make(chan error, 1)
		go func() { // finalising takes 15 s; the host gives it 10 s
			_, err := d.Do(cdbClose(closeFinalize, 0, false), drive.DirNone, nil, 10*time.Second)
			done <- err
		}()
		for i := 0; ; i++ {
			select {
			case err := <-done:
				if !errors.Is(err, drive.ErrTimeout) {
					t.Errorf("CLOSE past its timeout = %v, want drive.ErrTimeout", err)
				}
				return
			case <-time.After(time.Millisecond):
				clk.Advance(time.Second)
			}
			if i > 1000 {
				t.Fatal("CLOSE did not time out")
			}
		}
	})
}

// TestRateFaultsRepeat checks that random faults follow the seed.
func TestRateFaultsRepeat(t *testing.T) {
	failures := func(seed uint64) string {
		d, _ := newTestDrive(t, BDR25, Options{Seed: seed})
		run(t, d, cdbWrite12(0, 1024, true), drive.DirOut, pattern(0, 1024))
		d.Inject(Fault{Kind: FaultMediumError, Rate: 0.3})
		var s string
		buf := make([]byte, 32*2048)
		for lba := uint32(0); lba < 1024; lba += 32 {
			res, _ := d.Do(cdbRead12(lba, 32), drive.DirIn, buf, time.Second)
			if res.Status != drive.StatusGood {
				s += fmt.Sprintf("%x ", res.Sense[3:7])
			}
		}
		return s
	}
	a, b, c := failures(7), failures(7), failures(8)
	if a == "" || a != b {
		t.Errorf("failures(seed 7) = %q then %q, want the same non-empty list", a, b)
	}
	if a == c {
		t.Errorf("failures(seed 7) = failures(seed 8) = %q, want them to differ", a)
	}
}

// TestDriveFailsMidWrite: the failures of a drive itself (not its disc)
// strike after Skip writes and, sticky, stay: a hardware failure answers
// 04/44/00 to everything but INQUIRY, a drive gone from the bus fails
// every command with ENODEV under drive.ErrTransport, a sticky hang
// answers nothing. ClearFaults mends the drive.
func TestDriveFailsMidWrite(t *testing.T) {
	writes := []drive.Opcode{drive.OpWrite12}
	inquiry := []byte{0x12, 0, 0, 0, 36, 0}
	t.Run("hardware error", func(t *testing.T) {
		d, _ := newTestDrive(t, BDR25, Options{})
		d.Inject(Fault{Kind: FaultHardwareError, Ops: writes, Skip: 2, Sticky: true})
		run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
		run(t, d, cdbWrite12(32, 32, true), drive.DirOut, pattern(32, 32))
		hw := fixedSense(4, 0x44, 0, nil, [3]byte{})
		wantSense(t, d, cdbWrite12(64, 32, true), drive.DirOut, pattern(64, 32), hw)
		wantSense(t, d, cdbTUR(), drive.DirNone, nil, hw)
		wantSense(t, d, cdbRead12(0, 1), drive.DirIn, make([]byte, 2048), hw)
		run(t, d, inquiry, drive.DirIn, make([]byte, 36))
		d.ClearFaults()
		run(t, d, cdbTUR(), drive.DirNone, nil)
	})
	t.Run("gone from the bus", func(t *testing.T) {
		d, _ := newTestDrive(t, BDR25, Options{})
		d.Inject(Fault{Kind: FaultGone, Ops: writes, Skip: 1})
		run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
		for _, c := range [][]byte{cdbWrite12(32, 32, true), cdbTUR(), inquiry} {
			buf, dir := pattern(32, 32), drive.DirOut
			if c[0] != 0xAA {
				buf, dir = make([]byte, 36), drive.DirIn
				if c[0] == 0 {
					buf, dir = nil, drive.DirNone
				}
			}
			_, err := d.Do(c, dir, buf, time.Second)
			if !errors.Is(err, ErrGone) || !errors.Is(err, drive.ErrTransport) || !errors.Is(err, syscall.ENODEV) {
				t.Errorf("Do(%02Xh) on a drive gone = %v, want ErrGone, ENODEV and drive.ErrTransport", c[0], err)
			}
		}
	})
	t.Run("sticky hang", func(t *testing.T) {
		d, err := New(Options{Dir: t.TempDir(), Media: BDR25, LoadTime: time.Nanosecond,
			Faults: []Fault{{Kind: FaultHang, Ops: writes, Skip: 1, Sticky: true}}})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.Do(cdbTUR(), drive.DirNone, nil, time.Second) // the power-on attention
		run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
		for _, c := range [][]byte{cdbWrite12(32, 32, true), inquiry} {
			buf, dir := pattern(32, 32), drive.DirOut
			if c[0] == 0x12 {
				buf, dir = make([]byte, 36), drive.DirIn
			}
			if _, err := d.Do(c, dir, buf, 20*time.Millisecond); !errors.Is(err, drive.ErrTimeout) {
				t.Errorf("Do(%02Xh) on a hung drive = %v, want drive.ErrTimeout", c[0], err)
			}
		}
	})
}

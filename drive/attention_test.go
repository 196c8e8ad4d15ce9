package drive_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// senseInjector is a fault injector in front of the real simulator: the
// next count commands with opcode op end in CHECK CONDITION with sense
// instead of reaching the drive (count < 0: every one). Every other
// command goes through; the injector counts what reached the drive and
// keeps the last data-out buffer of each opcode.
type senseInjector struct {
	next  drive.Transport
	mu    sync.Mutex
	op    drive.Opcode
	count int
	sense []byte
	sent  map[drive.Opcode]int
	out   map[drive.Opcode][]byte
}

func inject(next drive.Transport, op drive.Opcode, count int, sense []byte) *senseInjector {
	return &senseInjector{next: next, op: op, count: count, sense: sense, sent: map[drive.Opcode]int{}, out: map[drive.Opcode][]byte{}}
}

func (s *senseInjector) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	s.mu.Lock()
	op := drive.Opcode(cdb[0])
	if op == s.op && s.count != 0 {
		s.count--
		s.mu.Unlock()
		return drive.Result{Status: drive.StatusCheckCondition, Sense: append([]byte(nil), s.sense...)}, nil
	}
	s.sent[op]++
	if dir == drive.DirOut {
		s.out[op] = append([]byte(nil), buf...)
	}
	s.mu.Unlock()
	return s.next.Do(cdb, dir, buf, timeout)
}

// reached is how many commands with opcode op reached the drive.
func (s *senseInjector) reached(op drive.Opcode) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[op]
}

// lastOut is the data-out buffer of the last command with opcode op.
func (s *senseInjector) lastOut(op drive.Opcode) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out[op]
}

// fixedSense is 18 bytes of current fixed-format sense.
func fixedSense(key drive.SenseKey, code drive.ASCQ) []byte {
	return []byte{0x70, 0, byte(key), 0, 0, 0, 0, 10, 0, 0, 0, 0, code.ASC(), code.Qualifier(), 0, 0, 0, 0}
}

func senseCode(err error) drive.ASCQ {
	var se *drive.SenseError
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0xFFFF
}

// TestIdentifyAbsorbsUnitAttention: Identify, often the first call on a
// drive, starts over after each unit attention (up to 16 in a row) and
// fails at once on anything else.
func TestIdentifyAbsorbsUnitAttention(t *testing.T) {
	ua := func(c drive.ASCQ) []byte { return fixedSense(drive.KeyUnitAttention, c) }
	tests := []struct {
		name        string
		op          drive.Opcode
		count       int
		sense       []byte
		want        error // nil: success
		wantCode    drive.ASCQ
		wantInquiry int // INQUIRY commands that reached the drive
	}{
		{"reported LUNs changed, on GET CONFIGURATION", drive.OpGetConfiguration, 1, ua(drive.ASCReportedLUNsChanged), nil, 0, 2},
		{"reset, on INQUIRY", drive.OpInquiry, 1, ua(drive.ASCPowerOnReset), nil, 0, 1},
		{"16 in a row", drive.OpGetConfiguration, 16, ua(drive.ASCReportedLUNsChanged), nil, 0, 17},
		{"17 in a row", drive.OpGetConfiguration, 17, ua(drive.ASCReportedLUNsChanged), drive.ErrUnitAttention, drive.ASCReportedLUNsChanged, 17},
		{"hardware error is not absorbed", drive.OpGetConfiguration, 1, fixedSense(drive.KeyHardwareError, drive.ASCInternalTargetFailure),
			drive.ErrHardwareError, drive.ASCInternalTargetFailure, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inj := inject(newSim(t, drivesim.Options{Media: drivesim.BDR25}), tc.op, tc.count, tc.sense)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			id, err := fastDrive(inj).Identify(ctx)
			if tc.want == nil {
				if err != nil || id.CurrentProfile != drive.ProfileBDRSRM || id.Vendor != "COPYSTN" {
					t.Errorf("Identify() = %+v, %v; want the simulator, profile BD-R SRM", id, err)
				}
			} else if !errors.Is(err, tc.want) || senseCode(err) != tc.wantCode {
				t.Errorf("Identify() = %v, want %v with %v", err, tc.want, tc.wantCode)
			}
			if got := inj.reached(drive.OpInquiry); got != tc.wantInquiry {
				t.Errorf("INQUIRY sent %d times, want %d", got, tc.wantInquiry)
			}
		})
	}
}

// TestLoadAbsorbsUnitAttention: a disc that arrived while the tray was out
// (06/28/00) or a power cycle (06/29/00) is reported to Load's START STOP
// UNIT, which Load absorbs; a drive that never stops reporting them makes
// Load fail after a bounded number.
func TestLoadAbsorbsUnitAttention(t *testing.T) {
	tests := []struct {
		name    string
		between func(t *testing.T, sim *drivesim.Drive)
	}{
		{"a new disc", func(t *testing.T, sim *drivesim.Drive) {
			old, err := sim.Remove()
			if err != nil {
				t.Fatalf("Remove() = %v", err)
			}
			old.Close()
			if err := sim.Insert(drivesim.BDR25); err != nil {
				t.Fatalf("Insert() = %v", err)
			}
		}},
		{"a power cycle", func(t *testing.T, sim *drivesim.Drive) { sim.PowerCycle() }},
		{"a bus reset", func(t *testing.T, sim *drivesim.Drive) { sim.Reset() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
			d := fastDrive(sim)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			before, err := d.MediaInfo(ctx)
			if err != nil {
				t.Fatalf("MediaInfo() = %v", err)
			}
			if err := d.Eject(ctx); err != nil {
				t.Fatalf("Eject() = %v", err)
			}
			tc.between(t, sim)
			if err := d.Load(ctx); err != nil {
				t.Fatalf("Load() = %v, want nil", err)
			}
			after, err := d.MediaInfo(ctx)
			if err != nil || after.State != drive.StateBlank {
				t.Fatalf("MediaInfo() after Load = %+v, %v; want a blank", after, err)
			}
			if changed := !bytes.Equal(before.MediaID, after.MediaID); changed != (tc.name == "a new disc") {
				t.Errorf("media ID changed = %v across %s", changed, tc.name)
			}
		})
	}
	t.Run("never ending", func(t *testing.T) {
		sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
		inj := inject(sim, drive.OpStartStopUnit, -1, fixedSense(drive.KeyUnitAttention, drive.ASCMediumMayHaveChanged))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := fastDrive(inj).Load(ctx)
		if !errors.Is(err, drive.ErrUnitAttention) || senseCode(err) != drive.ASCMediumMayHaveChanged || ctx.Err() != nil {
			t.Errorf("Load() = %v, want %v (28/00) well before the deadline", err, drive.ErrUnitAttention)
		}
	})
}

// TestFirstCallAbsorbsReset: after a power cycle the simulator reports
// 06/29/00 to the first command that may carry it; every Drive method that
// may be the first on a drive absorbs it, except Lock(true), which belongs
// to a write sequence and returns it.
func TestFirstCallAbsorbsReset(t *testing.T) {
	tests := []struct {
		name string
		run  func(ctx context.Context, d *drive.Drive) error
		want error
	}{
		{"WaitReady", func(ctx context.Context, d *drive.Drive) error { return d.WaitReady(ctx) }, nil},
		{"MediaInfo", func(ctx context.Context, d *drive.Drive) error { _, err := d.MediaInfo(ctx); return err }, nil},
		{"Load", func(ctx context.Context, d *drive.Drive) error { return d.Load(ctx) }, nil},
		{"Eject", func(ctx context.Context, d *drive.Drive) error { return d.Eject(ctx) }, nil},
		{"Lock(false)", func(ctx context.Context, d *drive.Drive) error { return d.Lock(ctx, false) }, nil},
		{"Lock(true)", func(ctx context.Context, d *drive.Drive) error { return d.Lock(ctx, true) }, drive.ErrUnitAttention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
			sim.PowerCycle()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := tc.run(ctx, fastDrive(sim))
			if tc.want == nil && err != nil {
				t.Fatalf("%s() after a power cycle = %v, want nil", tc.name, err)
			}
			if tc.want != nil && (!errors.Is(err, tc.want) || senseCode(err) != drive.ASCPowerOnReset) {
				t.Fatalf("%s() after a power cycle = %v, want %v (29/00)", tc.name, err, tc.want)
			}
		})
	}
}

// TestMediaInfoStartsOver: a unit attention in the middle of MediaInfo
// (the medium may have changed) makes it start again from GET
// CONFIGURATION, so no answer about an earlier medium survives.
func TestMediaInfoStartsOver(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   drive.Opcode
	}{{"READ CAPACITY", drive.OpReadCapacity}, {"READ TRACK INFORMATION", drive.OpReadTrackInformation}, {"READ DISC STRUCTURE", drive.OpReadDiscStructure}} {
		op := tc.op
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := fastDrive(sim).WaitReady(ctx); err != nil { // takes the disc's own 06/28/00
				t.Fatalf("WaitReady() = %v", err)
			}
			inj := inject(sim, op, 1, fixedSense(drive.KeyUnitAttention, drive.ASCMediumMayHaveChanged))
			mi, err := fastDrive(inj).MediaInfo(ctx)
			if err != nil || mi.State != drive.StateBlank || len(mi.MediaID) != 16 || mi.MediaIDErr != nil {
				t.Fatalf("MediaInfo() = %+v, %v; want a blank with its media ID", mi, err)
			}
			if got := inj.reached(drive.OpGetConfiguration); got != 2 {
				t.Errorf("GET CONFIGURATION sent %d times, want 2 (started over once)", got)
			}
		})
	}
}

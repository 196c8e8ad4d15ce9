package daemon

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
	"copystation/stationd/journal"
)

// TestDrivePluggedInLaterJoins: drive 0's device does not open at start
// (no sg node yet); the daemon starts on drive 1, shows drive 0 failed
// with a next probe, opens it again by its URI on each probe (backoff),
// and, once the device opens and the drive (the drive simulator,
// executing INQUIRY and TEST UNIT READY) answers cleanly, takes it into
// service without a restart.
func TestDrivePluggedInLaterJoins(t *testing.T) {
	cfg := testConfig(t)
	cfg.DriveReprobe, cfg.DriveReprobeMax = 20*time.Millisecond, 80*time.Millisecond
	var present atomic.Bool
	var opens atomic.Int32
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	errMissing := errors.New("open /dev/sg7: no such file or directory")
	reopen := func() (drive.Transport, error) {
		opens.Add(1)
		if !present.Load() {
			return nil, errMissing
		}
		return sim, nil
	}
	s := startOn(t, cfg, 2, nil, journal.NewMem(nil), func(_ *station, ds []Drive) []Drive {
		ds[0] = NewUnopenedDrive("sg:/dev/sg7", errMissing, reopen)
		return ds
	})
	ctx := context.Background()
	d0 := s.d.Status(ctx).Drives[0]
	if d0.State != "failed" || d0.NeedsEnable || d0.NextProbe.IsZero() {
		t.Fatalf("drive 0 at start = %+v, want failed with a next probe", d0)
	}
	deadline := time.Now().Add(10 * time.Second)
	for opens.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.d.Status(ctx).Drives[0].State != "failed" {
		t.Fatal("drive 0 left the failed state while its device was missing")
	}
	present.Store(true)
	for s.d.Status(ctx).Drives[0].State != "idle" {
		if time.Now().After(deadline) {
			t.Fatalf("drive 0 = %+v 10 s after its device appeared (%d opens), want idle", s.d.Status(ctx).Drives[0], opens.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.d.EnableDrive(ctx, 0); !errors.Is(err, ErrDriveInService) {
		t.Errorf("EnableDrive(0) in service = %v, want ErrDriveInService", err)
	}
	if err := s.d.EnableDrive(ctx, 5); !errors.Is(err, ErrNoSuchDrive) {
		t.Errorf("EnableDrive(5) = %v, want ErrNoSuchDrive", err)
	}
}

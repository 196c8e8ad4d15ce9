package simstation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/job"
)

// TestFailedDriveReturnsToService is issue 16's "degrade, don't stop"
// carried on past the failure: drive 1 of two fails mid-write, its job is
// made on drive 0, and then a person mends it (the fault cleared, as a
// drive re-attached or replaced) and takes out the spoiled disc it held.
// A drive that left the bus is re-probed on its backoff and returns by
// itself, not while it still holds the disc; one that failed with a
// hardware error is never re-probed and returns only when an operator
// enables it (refused while the disc is still in it). Back in service,
// status and metrics say so and it burns the next copies.
func TestFailedDriveReturnsToService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 8<<20, 17)
	writes := []drive.Opcode{drive.OpWrite10, drive.OpWrite12}
	tests := []struct {
		name   string
		fault  drivesim.Fault
		manual bool
	}{
		{"gone from the bus", drivesim.Fault{Kind: drivesim.FaultGone, Ops: writes, Skip: 8}, false},
		{"hardware error", drivesim.Fault{Kind: drivesim.FaultHardwareError, Ops: writes, Skip: 8, Sticky: true}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const bad = 1
			st, m := faultStation(ctx, t, nw, keys, dir, fmt.Sprint("reprobe-", i),
				Options{Drives: 2, Blanks: 8, DriveReprobe: 100 * time.Millisecond, DriveReprobeMax: 400 * time.Millisecond}, bad, tt.fault)
			burn := func(k int) string { return burnFilm(ctx, t, nw, keys, st, fmt.Sprintf("tok-%d-%d", i, k)) }
			for _, id := range []string{burn(0), burn(1)} {
				if j := waitJob(t, st.Client, id, 3*time.Minute); j.State != job.Done || j.Drive == bad {
					t.Fatalf("job %s = %s on drive %d (%s), want done on drive 0", id, j.State, j.Drive, j.Reason)
				}
			}
			s := st.Daemon.Status(ctx).Drives[bad]
			if s.State != "failed" || s.NeedsEnable != tt.manual || s.NextProbe.IsZero() == !tt.manual {
				t.Errorf("drive %d status = %+v, want failed, needs_enable %v, a next probe %v", bad, s, tt.manual, !tt.manual)
			}
			// Mended, but the spoiled disc is still in it: it stays out.
			st.Drives[bad].ClearFaults()
			time.Sleep(time.Second) // several probes at 100-400 ms
			if s := st.Daemon.Status(ctx).Drives[bad]; s.State != "failed" {
				t.Fatalf("drive %d mended but holding its spoiled disc = %+v, want still failed", bad, s)
			}
			if tt.manual {
				if err := st.Daemon.EnableDrive(ctx, bad); err == nil || !strings.Contains(err.Error(), "still holds") {
					t.Errorf("EnableDrive with the disc in = %v, want refused, saying it still holds a disc", err)
				}
			}
			disc, err := st.Drives[bad].Remove()
			if err != nil {
				t.Fatalf("taking the spoiled disc out: %v", err)
			}
			disc.Close()
			if tt.manual {
				time.Sleep(time.Second)
				if s := st.Daemon.Status(ctx).Drives[bad]; s.State != "failed" {
					t.Fatalf("drive %d after a hardware error = %+v, want failed until enabled (never re-probed)", bad, s)
				}
				if _, err := st.Client.EnableDrive(ctx, bad); err != nil {
					t.Fatalf("EnableDrive(%d) = %v", bad, err)
				}
				var ae *api.Error
				if _, err := st.Client.EnableDrive(ctx, bad); !errors.As(err, &ae) || ae.Code != "in_service" {
					t.Errorf("EnableDrive of a drive in service = %v, want in_service", err)
				}
			}
			waitStatus(t, st.Client, func(s *api.Status) bool { return s.Drives[bad].State == "idle" })
			if got := scrape(m); !strings.Contains(got, "\nstationd_drives_failed 0\n") || !strings.Contains(got, "\nstationd_drives_returned_total 1\n") {
				t.Errorf("metrics do not show the drive back:\n%s", grepLines(got, "stationd_drives"))
			}
			used := map[int]bool{}
			for _, id := range []string{burn(2), burn(3)} {
				j := waitJob(t, st.Client, id, 3*time.Minute)
				if j.State != job.Done {
					t.Fatalf("job %s after the return = %s (%s), want done", id, j.State, j.Reason)
				}
				used[j.Drive] = true
			}
			if !used[bad] {
				t.Errorf("drives used after the return = %v, want drive %d among them", used, bad)
			}
		})
	}
}

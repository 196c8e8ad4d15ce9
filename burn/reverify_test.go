package burn

import (
	"context"
	"errors"
	"testing"

	"copystation/burn/disc"
	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestVerifyDisc: a station that died after the write checks the disc
// again from what is on it: a whole copy passes with the hash Copy
// returned; a copy cut off while writing, or checked with another copy's
// keys, fails as a verification failure on a spoiled disc.
func TestVerifyDisc(t *testing.T) {
	f := newFixture(t, 700, [2]int{3, 2}, [2]int{40, 33})
	cw := []byte{0b0100_0000}
	stopAt := errors.New("daemon killed")
	tests := []struct {
		name string
		// stop ends the copy when it reaches this phase (after done bytes).
		stop    Phase
		done    int64
		otherID bool
		// power cuts the drive's power on a write in the image: its cache
		// is lost, and with it the header.
		power   bool
		wantErr error
	}{
		{name: "whole copy"},
		{name: "killed in verify", stop: PhaseVerify},
		{name: "killed in finalise", stop: PhaseFinalise},
		{name: "power lost while writing", power: true, wantErr: drive.ErrIllegalRequest}, // nothing recorded at LBA 0
		{name: "another copy's keys", stop: PhaseVerify, otherID: true, wantErr: ErrVerify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var faults []drivesim.Fault
			if tc.power {
				faults = append(faults, drivesim.Fault{Kind: drivesim.FaultPowerLoss, LBA: disc.DefaultHeaderSectors + 200, Count: 1})
			}
			sim := newSim(t, faults...)
			job := f.job(t, sim, "job-1", cw)
			job.Progress = func(p Progress) error {
				if p.Phase == tc.stop && p.Done >= tc.done {
					return stopAt
				}
				return nil
			}
			made, err := Copy(context.Background(), newDrive(sim), job)
			if tc.power && err == nil || !tc.power && (tc.stop == "" && err != nil || tc.stop != "" && !errors.Is(err, stopAt)) {
				t.Fatalf("Copy() = %v, want it stopped at %q", err, tc.stop)
			}
			again := f.job(t, sim, "job-1", cw)
			if tc.otherID {
				again = f.job(t, sim, "job-2", cw)
			}
			res, err := VerifyDisc(context.Background(), newDrive(sim), again)
			if tc.wantErr != nil {
				var e *Error
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &e) || !e.Spoiled {
					t.Fatalf("VerifyDisc() = %v, want %v on a spoiled disc", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyDisc() = %v, want nil", err)
			}
			if made != nil && res.DiscDigest != made.DiscDigest {
				t.Errorf("VerifyDisc() hash = %x, Copy() returned %x", res.DiscDigest, made.DiscDigest)
			}
		})
	}
}

//go:build !nonode

package main

import (
	"context"
	"io"
	"testing"
	"time"

	"copystation/stationd/job"
)

// TestTowerBench runs the tower bench on two drives, scaled down twenty
// times, and checks that its figures are whole: every copy made and
// counted on a drive, the drives' counters read, a bound computed. It
// checks no speed: that is the bench's figure to print.
func TestTowerBench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := runTower(ctx, io.Discard, t.TempDir(), 2, 2, 4<<20, 0.05, true)
	if err != nil {
		t.Fatalf("runTower() = %v", err)
	}
	if r.Discs != 4 || len(r.PerDrive) != 2 || r.PerDrive[0].Discs+r.PerDrive[1].Discs != 4 {
		t.Fatalf("runTower() = %+v, want 4 discs over 2 drives", r)
	}
	for _, d := range r.PerDrive {
		if d.Discs > 0 && (d.WritingS <= 0 || d.DriveS < d.WritingS || d.FedPercent <= 0 || d.FedPercent > 100) {
			t.Errorf("drive %d = %+v, want writing time, drive time at least that, fed share in (0, 100]", d.Drive, d)
		}
	}
	if r.BoundPerHour <= 0 || r.DiscsPerHour <= 0 {
		t.Errorf("runTower() = %+v, want discs per hour and a bound", r)
	}
	// The bound is the issue's: the bytes written at 16x, the same bytes
	// at the 8x read speed (twice as long), closing and finalising, loading.
	b := r.Bound
	if b.WriteS <= 0 || b.ReadS < 1.99*b.WriteS || b.ReadS > 2.01*b.WriteS || b.CloseS <= 0 || b.LoadS <= 0 || b.MovesS != 0 {
		t.Errorf("bound per disc = %+v, want writing, reading twice as long, closing, loading, no moves", b)
	}
	for _, d := range r.PerDrive {
		if d.Discs > 0 && (d.ReadingS <= 0 || d.VerifyMBps <= 0 || d.DriveS < d.WritingS+d.ReadingS) {
			t.Errorf("drive %d = %+v, want reading time and a verify rate, drive time counting both", d.Drive, d)
		}
	}
	for _, s := range []job.State{job.MediaCheck, job.Authorising, job.Writing, job.Verifying, job.Finalising, job.Reporting} {
		if r.Phases.Mean[s] <= 0 {
			t.Errorf("phases = %+v, want time in %s", r.Phases.Mean, s)
		}
	}
	if v := r.Phases.Mean[job.Verifying]; v < b.ReadS {
		t.Errorf("verifying took %.3f s per disc, less than reading at the drive's read speed (%.3f s)", v, b.ReadS)
	}
}

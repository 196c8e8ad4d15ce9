//go:build !nonode

package main

import (
	"context"
	"io"
	"testing"
	"time"
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
}

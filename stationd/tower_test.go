//go:build !nonode

package main

import (
	"context"
	"io"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"copystation/stationd/job"
)

// TestTowerBench runs the tower bench on two drives, scaled down twenty
// times, with the robot at its default 2 s a motion, and checks that its
// figures are whole: every copy made and counted on a drive, the drives'
// counters read, a bound computed that counts each copy's robot motions,
// the robot's utilisation and the drives' waits for it. It checks no
// speed: that is the bench's figure to print.
func TestTowerBench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := runTower(ctx, io.Discard, t.TempDir(), towerOptions{Drives: 2, PerDrive: 2, Size: 4 << 20, Scale: 0.05, InMemory: true, RobotMove: 2 * time.Second})
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
		// The host's turn-around between WRITEs, some time but not negative.
		if d.Discs > 0 && d.LongestGapMS <= 0 {
			t.Errorf("drive %d longest host gap %.3f ms, want > 0", d.Drive, d.LongestGapMS)
		}
	}
	if r.BoundPerHour <= 0 || r.DiscsPerHour <= 0 {
		t.Errorf("runTower() = %+v, want discs per hour and a bound", r)
	}
	// The bound is the issue's: the bytes written at 16x, the same bytes
	// at the 8x read speed (twice as long), closing and finalising,
	// loading, and the copy's robot motions (PICK, LOAD, UNLOAD) at 2 s.
	b := r.Bound
	if b.WriteS <= 0 || b.ReadS < 1.99*b.WriteS || b.ReadS > 2.01*b.WriteS || b.CloseS <= 0 || b.LoadS <= 0 || !near(b.MovesS, 6) {
		t.Errorf("bound per disc = %+v, want writing, reading twice as long, closing, loading, 6 s of robot moves", b)
	}
	if want := 2 * 3600 / b.Total(); !near(r.BoundPerHour, want) {
		t.Errorf("bound = %.3f discs/hour, want 2 drives over %.3f s a disc = %.3f", r.BoundPerHour, b.Total(), want)
	}
	ro := r.Robot
	if !maps.Equal(ro.Motions, map[string]int{"PICK": 4, "LOAD": 4, "UNLOAD": 4}) || ro.PerDisc != 3 || !near(ro.MotionS, 2) ||
		!near(ro.MovingS, 24) || !near(ro.BoundPerHour, 600) {
		t.Errorf("robot = %+v, want PICK, LOAD and UNLOAD once a copy, 2 s each: 24 s moving, at most 600 copies an hour", ro)
	}
	if ro.Utilisation <= 0 || ro.Utilisation > 1 {
		t.Errorf("robot utilisation = %v, want in (0, 1]", ro.Utilisation)
	}
	// A drive's own copies in a row are no quicker with other drives
	// queueing for the robot: the robot-paced rate is at most the bound.
	if ro.PacedPerHour <= 0 || ro.PacedPerHour > r.BoundPerHour*(1+1e-9) || ro.PacedPercent <= 0 {
		t.Errorf("robot-paced = %.3f discs/hour (%.1f%% reached), want in (0, the bound %.3f]", ro.PacedPerHour, ro.PacedPercent, r.BoundPerHour)
	}
	for _, d := range r.PerDrive {
		if d.RobotWaitS < 0 {
			t.Errorf("drive %d waited %v s for the robot, want >= 0", d.Drive, d.RobotWaitS)
		}
	}
	// Every disc's image is written and read back through the memory discs.
	if c := r.SimCopy; c == nil || c.Bytes < 2*4*(4<<20) || c.Copies <= 0 || c.CPUSeconds <= 0 || c.LongestMS <= 0 || c.LongestMS > c.CPUSeconds*1000 {
		t.Errorf("simulator copies = %+v, want at least 32 MiB (four 4 MiB images written and read back) in copies that took CPU, the longest at most all of it", c)
	} else if p := c.Peak; p.Percent < 0 || p.Percent > 100 || p.AtS < 0 || p.AtS > r.WallSeconds+1 || (r.WallSeconds > 2 && (p.Percent == 0 || p.AtS < 1)) {
		t.Errorf("busiest second of the simulator's copies = %+v in a %.1f s run, want a share of the cores in (0, 100] ending at least 1 s into the run", p, r.WallSeconds)
	}
	var out strings.Builder
	printTower(&out, r)
	for _, want := range []string{"with 4 MiB write buffers", "simulator copies (", "of the host's cores in one second", "robot moves 6.00 s (3.0 motions a copy (PICK 4, LOAD 4, UNLOAD 4) of 2.00 s", "robot: 12 motions", "s for the robot", "robot-paced: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printTower() = %q, want it to say %q", out.String(), want)
		}
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

// near reports whether a modelled figure is x, within float rounding.
func near(got, x float64) bool { return math.Abs(got-x) <= 1e-6*math.Max(1, math.Abs(x)) }

// TestTowerDriveBufferRange: a --drive-buffer under 2 MiB (a drive the
// station's 1 MiB WRITEs would run dry each time) or over 64 (more than a
// drive's mode page can report) is refused before anything starts.
func TestTowerDriveBufferRange(t *testing.T) {
	for _, mib := range []string{"1", "0", "-4", "65"} {
		var out, errb strings.Builder
		if code := cmdBench(context.Background(), []string{"--tower", "2", "--drive-buffer", mib}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "give 2 to 64") {
			t.Errorf("bench --tower 2 --drive-buffer %s = %d, %q; want 2 and the range to give", mib, code, errb.String())
		}
	}
}

// TestTowerRobotMoveNegative: a negative --robot-move is refused before
// anything starts, with what to give instead.
func TestTowerRobotMoveNegative(t *testing.T) {
	var out, errb strings.Builder
	if code := cmdBench(context.Background(), []string{"--tower", "2", "--robot-move", "-1s"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "0 for an instant robot") {
		t.Errorf("bench --tower 2 --robot-move -1s = %d, %q; want 2 and how to give a motion's time", code, errb.String())
	}
}

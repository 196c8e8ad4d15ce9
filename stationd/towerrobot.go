//go:build !nonode

package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"copystation/simulator/robotsim"
	"copystation/stationd/metrics"
)

// TowerRobot is the one robot's share of a tower bench, in modelled
// seconds (wall time over the bench's time scale).
type TowerRobot struct {
	// MotionS is one motion's modelled time (0: the robot moved
	// instantly, --robot-move 0).
	MotionS float64 `json:"motion_seconds"`
	// Motions counts the robot's motions by verb (robotsim.Stats), and
	// PerDisc is their number over the copies made: what a copy commands
	// (PICK, LOAD, UNLOAD), more if a load or unload was repeated.
	Motions map[string]int `json:"motions"`
	PerDisc float64        `json:"motions_per_disc"`
	// MovingS is the time the robot moved; Utilisation is that share of
	// the run, in [0, 1].
	MovingS     float64 `json:"moving_seconds"`
	Utilisation float64 `json:"utilisation"`
	// BoundPerHour is what the robot alone could serve: copies per hour
	// with it moving all the time (0 when it moves instantly). A tower
	// is held to the lower of this and its drives' bound.
	BoundPerHour float64 `json:"bound_discs_per_hour"`
	// PacedSeconds is the shortest run this robot allows the drives with a
	// host that costs nothing (robotPaced), PacedPerHour its discs per
	// hour and PacedPercent the run's discs per hour against it: near 100,
	// the host lost nothing and the robot's queue is what the run lacks
	// against the bound.
	PacedSeconds float64 `json:"robot_paced_seconds"`
	PacedPerHour float64 `json:"robot_paced_discs_per_hour"`
	PacedPercent float64 `json:"percent_of_robot_paced"`
}

// pace fills the robot-paced figures of a run of perDrive copies on each of
// drives drives whose own work is work seconds a copy.
func (r *TowerRobot) pace(drives, perDrive int, work, discsPerHour float64) {
	r.PacedSeconds = robotPaced(drives, perDrive, work, r.MotionS)
	if r.PacedSeconds > 0 {
		r.PacedPerHour = float64(drives*perDrive) * 3600 / r.PacedSeconds
		r.PacedPercent = 100 * discsPerHour / r.PacedPerHour
	}
}

// towerRobot reads the robot's counters after discs copies over wall.
func towerRobot(s robotsim.Stats, discs int, wall time.Duration, scale float64) TowerRobot {
	r := TowerRobot{Motions: s.Motions, MovingS: s.Moving.Seconds() / scale}
	if s.TimeScale > 0 {
		r.MotionS = s.MotionTime.Seconds() * s.TimeScale / scale
	}
	if discs > 0 {
		r.PerDisc = float64(s.Count()) / float64(discs)
	}
	if wall > 0 {
		r.Utilisation = s.Moving.Seconds() / wall.Seconds()
	}
	if m := r.PerDisc * r.MotionS; m > 0 {
		r.BoundPerHour = 3600 / m
	}
	return r
}

// robotWait reads drive n's stationd_robot_wait_seconds_total, in wall
// seconds.
func robotWait(m *metrics.Metrics, n int) float64 {
	var d dto.Metric
	if m.RobotWait.WithLabelValues(strconv.Itoa(n)).Write(&d) != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}

// verbs are robotsim's motion verbs in the order a copy commands them.
var verbs = []string{"PICK", "LOAD", "UNLOAD", "REJECT", "RESET"}

// motionList is "PICK 8, LOAD 8, UNLOAD 8".
func (r TowerRobot) motionList() string {
	var parts []string
	for _, v := range verbs {
		if c := r.Motions[v]; c > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", v, c))
		}
	}
	return strings.Join(parts, ", ")
}

// term says what the bound's robot term is.
func (r TowerRobot) term() string {
	if r.MotionS == 0 {
		return "the robot moves instantly: --robot-move 0"
	}
	return fmt.Sprintf("%.1f motions a copy (%s) of %.2f s; the drive is idle while the robot loads and unloads it", r.PerDisc, r.motionList(), r.MotionS)
}

// printRobot prints how busy the robot was and how long drives queued
// for it.
func printRobot(w io.Writer, t *TowerResult) {
	r := t.Robot
	wait, most := 0.0, 0.0
	for _, d := range t.PerDrive {
		wait += d.RobotWaitS
		most = max(most, d.RobotWaitS)
	}
	if t.Discs > 0 {
		wait /= float64(t.Discs)
	}
	alone := "no bound of its own (it moves instantly)"
	if r.BoundPerHour > 0 {
		// Its utilisation is also the share of this reached.
		alone = fmt.Sprintf("alone it serves at most %.1f discs/hour", r.BoundPerHour)
	}
	fmt.Fprintf(w, "  robot: %d motions (%s), moving %.1f s of the run's %.1f s (utilisation %.1f%%); %s; drives waited for it beyond their own motions %.2f s a copy (at most %.1f s on one drive)\n",
		countMotions(r.Motions), r.motionList(), r.MovingS, t.WallSeconds/t.TimeScale, 100*r.Utilisation, alone, wait, most)
	if r.PacedSeconds > 0 {
		fmt.Fprintf(w, "  robot-paced: the drives' own work with this robot's queue and no host time (first come first served) takes %.1f s, %.1f discs/hour; this run reached %.1f%% of it\n",
			r.PacedSeconds, r.PacedPerHour, r.PacedPercent)
	}
}

func countMotions(m map[string]int) int {
	return robotsim.Stats{Motions: m}.Count()
}

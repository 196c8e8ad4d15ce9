//go:build !nonode

package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"copystation/stationd/job"
)

// timeline records when each job entered each state, from the daemon's
// transition hook, so the tower bench can say where a disc's time goes.
type timeline struct {
	mu   sync.Mutex
	now  func() time.Time
	jobs map[string][]stamp
}

type stamp struct {
	state job.State
	drive int
	at    time.Time
}

func newTimeline() *timeline {
	return &timeline{now: time.Now, jobs: map[string][]stamp{}}
}

// note is the daemon's AfterTransition hook.
func (t *timeline) note(j job.Job) {
	at := t.now()
	t.mu.Lock()
	t.jobs[j.ID] = append(t.jobs[j.ID], stamp{j.State, j.Drive, at})
	t.mu.Unlock()
}

// towerPhases are the states a copy passes through on its drive, in
// order, with what the tower does in each.
var towerPhases = []struct {
	State job.State
	What  string
}{
	{job.MediaCheck, "robot loads a blank, drive spins up, media check, package check"},
	{job.Authorising, "spend round trip to the ledger (keys released)"},
	{job.Authorised, "to the pipeline's start"},
	{job.Writing, "write at speed, flush, close track"},
	{job.Verifying, "read back, GMAC per cluster"},
	{job.Finalising, "close session, finalise"},
	{job.Reporting, "report round trip, robot unloads"},
}

// PhaseSeconds is the mean time a disc spent in each state, and between
// one disc's end and the next disc's start on the same drive.
type PhaseSeconds struct {
	Mean    map[job.State]float64 `json:"mean_seconds"`
	Between float64               `json:"between_discs_seconds"`
	// Verifying is, per drive, the total time its discs spent verifying.
	Verifying []float64 `json:"verifying_seconds_per_drive"`
}

// phases sums the timeline of the given drives' finished jobs, in
// modelled seconds (wall time over the drives' time scale).
func (t *timeline) phases(drives int, scale float64) PhaseSeconds {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := PhaseSeconds{Mean: map[job.State]float64{}, Verifying: make([]float64, drives)}
	n := 0
	type span struct{ start, end time.Time }
	perDrive := make([][]span, drives)
	for _, st := range t.jobs {
		if len(st) == 0 || st[len(st)-1].state != job.Done {
			continue
		}
		n++
		var first time.Time
		for i := 0; i+1 < len(st); i++ {
			d := st[i+1].at.Sub(st[i].at).Seconds() / scale
			p.Mean[st[i].state] += d
			if st[i].state == job.Verifying && st[i].drive >= 0 && st[i].drive < drives {
				p.Verifying[st[i].drive] += d
			}
			if st[i].state == job.MediaCheck && first.IsZero() {
				first = st[i].at
			}
		}
		if dr := st[len(st)-1].drive; dr >= 0 && dr < drives && !first.IsZero() {
			perDrive[dr] = append(perDrive[dr], span{first, st[len(st)-1].at})
		}
	}
	if n == 0 {
		return p
	}
	for s := range p.Mean {
		p.Mean[s] /= float64(n)
	}
	gaps := 0
	for _, sp := range perDrive {
		sort.Slice(sp, func(i, j int) bool { return sp[i].start.Before(sp[j].start) })
		for i := 1; i < len(sp); i++ {
			p.Between += sp[i].start.Sub(sp[i-1].end).Seconds() / scale
			gaps++
		}
	}
	if gaps > 0 {
		p.Between /= float64(gaps)
	}
	return p
}

// printPhases prints the mean per-disc timeline.
func printPhases(w io.Writer, p PhaseSeconds) {
	fmt.Fprintf(w, "  per disc, mean time in each state (modelled seconds):\n")
	for _, ph := range towerPhases {
		fmt.Fprintf(w, "    %-12s %6.2f s  %s\n", ph.State, p.Mean[ph.State], ph.What)
	}
	fmt.Fprintf(w, "    %-12s %6.2f s  from a disc's end to the next disc's media check on the same drive\n", "between", p.Between)
}

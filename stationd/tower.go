//go:build !nonode

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"copystation/simulator/drivesim"
	"copystation/simulator/robotsim"
	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/metrics"
	"copystation/stationd/simstation"
	"copystation/stationd/titles"
)

// TowerDrive is one drive's share of a tower bench.
type TowerDrive struct {
	Drive      int     `json:"drive"`
	Discs      int     `json:"discs"`
	WritingS   float64 `json:"writing_seconds"` // buffer draining at rated speed
	StarvedS   float64 `json:"starved_seconds"` // buffer empty inside a write stream
	FedPercent float64 `json:"fed_percent"`     // writing / (writing + starved)
	Underruns  int     `json:"underruns"`       // buffer ran empty mid-stream
	// LongestGapMS is the longest the host took, mid-stream, from a
	// WRITE's completion to its next WRITE (drivesim.Stats.LongestGap):
	// an underrun takes more than the buffer's drain time.
	LongestGapMS float64 `json:"longest_gap_ms"`
	DriveS       float64 `json:"drive_seconds"`     // writing + reading + closing + loading (the drive's own work)
	HostWaitS    float64 `json:"host_wait_seconds"` // the rest of the wall time
	ReadingS     float64 `json:"reading_seconds"`   // reading at rated speed
	ReadIdleS    float64 `json:"read_idle_seconds"` // read-ahead buffer full, waiting for the host
	ReadStalls   int     `json:"read_stalls"`
	// VerifyMBps is the bytes the drive read over the time its discs
	// spent verifying, against ReadMBps, its rated read speed.
	VerifyMBps float64 `json:"verify_mb_per_s"`
	BoundS     float64 `json:"bound_seconds_per_disc"` // the bound for one of this drive's discs
	// RobotWaitS is the time this drive's jobs waited for the robot
	// while it moved discs for other drives: beyond the drive's own
	// motions, which the bound counts.
	RobotWaitS float64 `json:"robot_wait_seconds"`
}

// TowerBound is the physical bound of one disc, in modelled seconds:
// the bytes written at the write speed, the same bytes at the read speed,
// closing and finalising as modelled, loading, and robot moves.
type TowerBound struct {
	WriteS, ReadS, CloseS, LoadS, MovesS float64
}

// Total is the bound's seconds per disc.
func (b TowerBound) Total() float64 { return b.WriteS + b.ReadS + b.CloseS + b.LoadS + b.MovesS }

// TowerResult is what `stationd bench --tower N` measures.
type TowerResult struct {
	Drives       int          `json:"drives"`
	InMemory     bool         `json:"discs_in_memory"`
	SpeedX       int          `json:"speed_x"`
	DriveBuffer  int          `json:"drive_buffer_bytes"` // each drive's write buffer
	ImageBytes   int64        `json:"image_bytes"`
	Discs        int          `json:"discs"`
	WallSeconds  float64      `json:"wall_seconds"`
	TimeScale    float64      `json:"time_scale"` // modelled seconds are wall seconds over this
	DiscsPerHour float64      `json:"discs_per_hour"`
	BoundPerHour float64      `json:"bound_discs_per_hour"`
	BoundPercent float64      `json:"percent_of_bound"`
	Bound        TowerBound   `json:"bound_per_disc"` // of the slowest drive's discs
	Robot        TowerRobot   `json:"robot"`
	ReadMBps     float64      `json:"rated_read_mb_per_s"`
	Phases       PhaseSeconds `json:"phases"`
	PerDrive     []TowerDrive `json:"per_drive"`
	// SimCopy is what the memory discs' copies cost the host (discs in
	// memory only): a real drive moves the bytes by DMA.
	SimCopy *TowerSimCopy `json:"simulator_copies,omitempty"`
}

// TowerSimCopy is drivesim.CopyStats over a tower run.
type TowerSimCopy struct {
	CPUSeconds   float64 `json:"cpu_seconds"`
	Copies       int64   `json:"copies"`
	Bytes        int64   `json:"bytes"`
	MeanUSPerMiB float64 `json:"mean_us_per_mib"`
	LongestMS    float64 `json:"longest_ms"` // the costliest single copy's CPU
	// Peak is the second in which the copies took most of the host
	// (zero if the run was shorter than a second).
	Peak CopyPeak `json:"busiest_second"`
}

// towerOptions shape a tower bench.
type towerOptions struct {
	Drives, PerDrive int
	Size             int64
	// Scale is the drives' and robot's time scale: 1 is real time; the
	// test runs faster, scaled drives needing the host faster in
	// proportion.
	Scale    float64
	InMemory bool
	// RobotMove is one robot motion's modelled time (0: instant).
	RobotMove time.Duration
	// DriveBuffer is each drive's write buffer in bytes (0:
	// drivesim.DefaultCacheSize, 4 MiB). A smaller one needs the host
	// back sooner: at 16x, 2 MiB lasts 29 ms after a WRITE returns, 4 MiB
	// 58 ms.
	DriveBuffer int
	// TraceUnderrun, if set, is where the execution trace of the seconds
	// around an underrun goes, up to five of them (towertrace.go).
	TraceUnderrun string
}

// runTower burns PerDrive copies on a tower of Drives simulated 16x drives
// served by one robot, in this process, in modelled time: each copy
// goes the whole way (media check, spend, write, verify, finalise,
// unload). The drives' own counters (drivesim.Stats) say how well the
// host fed them. The physical bound is what the drives alone need: per
// disc, the bytes written at the write speed, the same bytes at the read
// speed, closing and finalising and loading as modelled, and robot moves
// (towerBound); the tower's discs per hour can be no more than n drives'
// discs over the slowest drive's bound per disc. The robot moves at
// RobotMove a motion, one motion at a time for all the drives; its
// counters and the daemon's robot-wait metric say how busy it was and how
// long drives queued for it (towerrobot.go). A timeline of the jobs'
// states (towerphase.go) says where the rest of each disc's time goes.
//
// With InMemory the discs' data stays in memory (n·perDrive·size bytes by
// the end): a real drive takes the data off the host by DMA, while a
// simulated disc in a file costs the host a page-cache copy, file-system
// work and, on a disk, dirty-page throttling of the WRITE itself, all on
// the cores that feed the drives.
func runTower(ctx context.Context, log io.Writer, dir string, o towerOptions) (*TowerResult, error) {
	n, perDrive, size, scale, inMemory := o.Drives, o.PerDrive, o.Size, o.Scale, o.InMemory
	if o.DriveBuffer == 0 {
		o.DriveBuffer = drivesim.DefaultCacheSize
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "stationd-tower-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		return nil, err
	}
	defer nw.Close()
	sdir := filepath.Join(dir, "station")
	keys, err := simstation.OpenKeys(sdir)
	if err != nil {
		return nil, err
	}
	defer keys.Close()
	if _, err := nw.Enroll(ctx, keys.Signing, keys.Agreement); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "packaging and installing a %d-byte title...\n", size)
	title, err := simstation.MakeTitle(ctx, nw, filepath.Join(sdir, "titles"), "tower-film", size, 5)
	if err != nil {
		return nil, err
	}
	if _, err := titles.ForState(sdir, filepath.Join(sdir, "titles")).Add(ctx, title.Path, titles.AddOptions{ContentHash: title.Manifest.Root[:]}); err != nil {
		return nil, err
	}
	total := n * perDrive
	for i := range total {
		if err := nw.Mint(ctx, fmt.Sprintf("tower-%d", i), "tower-film", keys.Signing); err != nil {
			return nil, err
		}
	}
	const speed = 16
	nodes, group, players, err := nw.Pins()
	if err != nil {
		return nil, err
	}
	if inMemory {
		// Each drive holds one disc at a time and the bench empties the
		// output bin as copies finish, so this is all the memory the
		// discs take; faulted in now, before the clock starts.
		drivesim.ReserveMemory(int64(n) * (size + 16<<20))
		drivesim.MeasureMemoryCopies(true)
		defer drivesim.MeasureMemoryCopies(false)
	}
	tl := newTimeline()
	m := metrics.New()
	st, err := simstation.Start(ctx, keys, simstation.Options{Dir: sdir, Nodes: nodes, Group: group, Players: players, Drives: n, Blanks: total,
		SpeedX: speed, TimeScale: scale, DriveBuffer: o.DriveBuffer, RobotMotion: o.RobotMove, InMemory: inMemory, AfterTransition: tl.note, Metrics: m})
	if err != nil {
		return nil, err
	}
	defer st.Stop()
	fmt.Fprintf(log, "burning %d copies on %d drives...\n", total, n)
	uw, err := startUnderrunWatch(o.TraceUnderrun, st.Drives, inMemory, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := uw.Stop(); err != nil {
			fmt.Fprintf(log, "%v\n", err)
		}
	}()
	t0 := time.Now()
	var ids []string
	for i := range total {
		j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "tower-film", TokenID: fmt.Sprintf("tower-%d", i)})
		if err != nil {
			return nil, err
		}
		ids = append(ids, j.ID)
	}
	r := &TowerResult{Drives: n, InMemory: inMemory, SpeedX: speed, DriveBuffer: o.DriveBuffer, ImageBytes: size, Discs: total, TimeScale: scale, PerDrive: make([]TowerDrive, n)}
	for _, id := range ids {
		j, err := towerWait(ctx, st.Client, id, func() {
			if inMemory {
				emptyOutput(st.Robot.Sim)
			}
		})
		if err != nil {
			return nil, err
		}
		if j.State != job.Done {
			return nil, fmt.Errorf("job %s ended %s: %s", id, j.State, j.Reason)
		}
		if j.Drive >= 0 && j.Drive < n {
			r.PerDrive[j.Drive].Discs++
		}
	}
	wall := time.Since(t0)
	r.WallSeconds = wall.Seconds()
	if c := drivesim.MemoryCopies(); inMemory && c.Copies > 0 {
		r.SimCopy = &TowerSimCopy{CPUSeconds: c.CPU.Seconds(), Copies: c.Copies, Bytes: c.Bytes,
			MeanUSPerMiB: float64(c.CPU.Microseconds()) / (float64(c.Bytes) / (1 << 20)), LongestMS: c.Longest.Seconds() * 1000, Peak: uw.Peak()}
	}
	// Rates are per hour of modelled time: wall time over the scale.
	hours := wall.Hours() / scale
	r.DiscsPerHour = float64(total) / hours
	r.Phases = tl.phases(n, scale)
	r.ReadMBps = drivesim.ReadRate / 1e6
	r.Robot = towerRobot(st.Robot.Sim.Stats(), total, wall, scale)
	for i, d := range st.Drives {
		s := d.Stats()
		pd := &r.PerDrive[i]
		pd.Drive, pd.WritingS, pd.StarvedS, pd.Underruns = i, s.Writing.Seconds()/scale, s.Starved.Seconds()/scale, s.Underruns
		pd.LongestGapMS = s.LongestGap.Seconds() * 1000 / scale
		pd.FedPercent, pd.DriveS, pd.HostWaitS = 100*s.FedShare(), s.DriveTime().Seconds()/scale, (wall-s.DriveTime()).Seconds()/scale
		pd.ReadingS, pd.ReadIdleS, pd.ReadStalls = s.Reading.Seconds()/scale, s.ReadIdle.Seconds()/scale, s.ReadStalls
		pd.RobotWaitS = robotWait(m, i) / scale
		if v := r.Phases.Verifying[i]; v > 0 {
			pd.VerifyMBps = float64(s.ReadBytes) / v / 1e6
		}
		if pd.Discs == 0 {
			continue
		}
		b := towerBound(s, pd.Discs, speed, scale)
		b.MovesS = r.Robot.PerDisc * r.Robot.MotionS
		pd.BoundS = b.Total()
		if pd.BoundS > r.Bound.Total() {
			r.Bound = b
		}
	}
	if t := r.Bound.Total(); t > 0 {
		r.BoundPerHour = float64(n) * 3600 / t
		r.BoundPercent = 100 * r.DiscsPerHour / r.BoundPerHour
		r.Robot.pace(n, perDrive, t-r.Bound.MovesS, r.DiscsPerHour)
	}
	return r, nil
}

// towerBound is the physical bound for one of a drive's discs
// from its counters: the bytes it wrote (Writing is exactly bytes / write
// speed) at the write speed, the same bytes again at the read speed (a
// verify reads back all it wrote), its modelled closing, finalising and
// loading. The caller adds the robot's moves (the drive is idle while the
// robot loads and unloads it), from the robot's counters.
func towerBound(s drivesim.Stats, discs, speedX int, scale float64) TowerBound {
	per := func(d time.Duration) float64 { return d.Seconds() / scale / float64(discs) }
	w := per(s.Writing)
	return TowerBound{WriteS: w, ReadS: w * float64(speedX*4_500_000) / drivesim.ReadRate,
		CloseS: per(s.Closing), LoadS: per(s.Loading)}
}

// emptyOutput takes the finished discs out of the robot's output bin, as
// an operator does, and frees their memory for the next copies.
func emptyOutput(r *robotsim.Robot) {
	for _, d := range r.Output() {
		d.Close()
	}
}

// towerWait polls a job until it ends, calling each between polls.
func towerWait(ctx context.Context, c *api.Client, id string, each func()) (*api.Job, error) {
	for {
		each()
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if j.State.Terminal() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// printTower prints a tower bench's figures.
func printTower(w io.Writer, r *TowerResult) {
	store := "disc files"
	if r.InMemory {
		store = "discs in memory"
	}
	fmt.Fprintf(w, "tower of %d drives at %dx with %s write buffers (%s), %d copies of %d bytes: %.1f s, %.1f discs/hour, bound %.1f (%.1f%%)\n",
		r.Drives, r.SpeedX, fmt.Sprintf("%g MiB", float64(r.DriveBuffer)/(1<<20)), store, r.Discs, r.ImageBytes, r.WallSeconds, r.DiscsPerHour, r.BoundPerHour, r.BoundPercent)
	b := r.Bound
	fmt.Fprintf(w, "  bound per disc %.2f s = writing %.2f s at %dx + reading the same bytes %.2f s at %.0f MB/s + closing and finalising %.2f s + loading %.2f s + robot moves %.2f s (%s)\n",
		b.Total(), b.WriteS, r.SpeedX, b.ReadS, r.ReadMBps, b.CloseS, b.LoadS, b.MovesS, r.Robot.term())
	printRobot(w, r)
	for _, d := range r.PerDrive {
		fmt.Fprintf(w, "  drive %d: %d discs, writing %.1f s, starved %.2f s, fed %.2f%% of writing time, %d underruns, longest host gap %.1f ms; verify %.1f MB/s (%.1f%% of %.0f), read idle %.2f s in %d stalls; drive's own time %.1f s; waited %.1f s for the robot\n",
			d.Drive, d.Discs, d.WritingS, d.StarvedS, d.FedPercent, d.Underruns, d.LongestGapMS, d.VerifyMBps, 100*d.VerifyMBps/r.ReadMBps, r.ReadMBps, d.ReadIdleS, d.ReadStalls, d.DriveS, d.RobotWaitS)
	}
	if c := r.SimCopy; c != nil {
		fmt.Fprintf(w, "  simulator copies (the memory discs' WRITE and READ data, a drive's DMA, charged to this host's CPU): %.1f GB in %d copies, %.2f CPU-s, mean %.0f µs per MiB, longest %.2f ms; at most %.0f%% of the host's cores in one second (the second to %.1f s into the burn)\n",
			float64(c.Bytes)/1e9, c.Copies, c.CPUSeconds, c.MeanUSPerMiB, c.LongestMS, c.Peak.Percent, c.Peak.AtS)
	}
	printPhases(w, r.Phases)
}

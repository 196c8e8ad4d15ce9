//go:build !nonode

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"

	"copystation/simulator/drivesim"
)

// underrunWatch follows the drives of a tower bench while they burn and
// says when each underrun happened: how far into the burn and into that
// drive's write stream. With a trace path it also keeps the last seconds
// of the process's execution trace in memory (a flight recorder) and
// writes them out at an underrun, so what every goroutine of the host did
// while the buffer ran dry can be read (`go tool trace`; the drive marks
// the moment with a log entry of category "drivesim").
type underrunWatch struct {
	fr     *trace.FlightRecorder
	cpu    bool // a CPU profile runs for the trace's samples
	path   string
	log    io.Writer
	drives []*drivesim.Drive
	copies bool // the memory discs' copies are measured (drivesim.MeasureMemoryCopies)
	t0     time.Time
	peakMu sync.Mutex
	peak   CopyPeak
	stop   chan struct{}
	done   chan error
	once   sync.Once
	err    error // what Stop says
}

const (
	// traceWindow is how much of the past the flight recorder keeps: a
	// drive's buffer holds well under a second, and the read-ahead that
	// should have filled it began a few chunks before.
	traceWindow = 3 * time.Second
	// maxTraces bounds the files one bench writes.
	maxTraces = 5
	// watchEvery is how often the drives' counters are read: an
	// underrun's time is known to this much.
	watchEvery = 20 * time.Millisecond
	// copyWindow is how far back an underrun's report looks at the
	// simulator's copies: a few buffers' worth at 16x.
	copyWindow = time.Second
)

// With simCopies (the memory discs' copies are being measured) each
// underrun's report says what share of the host's CPU those copies took
// in the second before it: the simulator's work, which a real drive does
// by DMA, competing with the station for the same cores.
func startUnderrunWatch(tracePath string, drives []*drivesim.Drive, simCopies bool, log io.Writer) (*underrunWatch, error) {
	u := &underrunWatch{path: tracePath, log: log, drives: drives, copies: simCopies, t0: time.Now(), stop: make(chan struct{}), done: make(chan error, 1)}
	if tracePath != "" {
		u.fr = trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: traceWindow, MaxBytes: 512 << 20})
		if err := u.fr.Start(); err != nil {
			return nil, fmt.Errorf("start the execution trace: %w", err)
		}
		// A CPU profile running puts its samples in the trace: what a
		// goroutine that ran long was doing. The profile itself is
		// not kept.
		if err := pprof.StartCPUProfile(io.Discard); err == nil {
			u.cpu = true
		}
	}
	go func() { u.done <- u.watch() }()
	return u, nil
}

// CopyPeak is the second of a tower run in which the simulator's copies
// took the largest share of the host's cores.
type CopyPeak struct {
	Percent float64 `json:"percent_of_cores"`
	AtS     float64 `json:"seconds_into_burn"` // the second's end
}

// Peak is the busiest second of the simulator's copies so far (zero
// before a second has passed, or when they are not measured).
func (u *underrunWatch) Peak() CopyPeak {
	u.peakMu.Lock()
	defer u.peakMu.Unlock()
	return u.peak
}

func (u *underrunWatch) watch() error {
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	last := make([]drivesim.Stats, len(u.drives))
	streamAt := make([]time.Time, len(u.drives))
	var traced int
	var tracedAt, dumpAt time.Time // dumpAt: a trace is due then (zero: none)
	var marks []copyMark           // the simulator's copy CPU, oldest first, back to copyWindow ago
	for {
		select {
		case <-u.stop:
			return nil
		case <-tick.C:
		}
		now := time.Now()
		if u.copies {
			marks = append(marks, copyMark{now, drivesim.MemoryCopies().CPU})
			for len(marks) > 2 && now.Sub(marks[1].at) >= copyWindow {
				marks = marks[1:]
			}
			if span, pct := copyShare(marks); span >= copyWindow {
				u.peakMu.Lock()
				if pct > u.peak.Percent {
					u.peak = CopyPeak{Percent: pct, AtS: now.Sub(u.t0).Seconds()}
				}
				u.peakMu.Unlock()
			}
		}
		for i, d := range u.drives {
			s := d.Stats()
			if s.Streams != last[i].Streams {
				streamAt[i] = now
			}
			if n := s.Underruns - last[i].Underruns; n > 0 {
				msg := fmt.Sprintf("underrun: drive %d, %d time(s) near %s, %.2f s into the burn, %.2f s into its write stream %d, buffer empty %.1f ms",
					i, n, now.UTC().Format("15:04:05.00"), now.Sub(u.t0).Seconds(), now.Sub(streamAt[i]).Seconds(), s.Streams, float64(s.Starved-last[i].Starved)/1e6)
				if span, pct := copyShare(marks); span > 0 {
					msg += fmt.Sprintf("; in the %.1f s before, the simulator's copies took %.0f%% of the host's %d cores", span.Seconds(), pct, runtime.GOMAXPROCS(0))
				}
				fmt.Fprintln(u.log, msg)
				// Let the trace run on past the underrun so what ended
				// the stall is in it too; the watch goes on meanwhile.
				if u.fr != nil && dumpAt.IsZero() && traced < maxTraces && (traced == 0 || now.Sub(tracedAt) >= traceWindow) {
					dumpAt = now.Add(300 * time.Millisecond)
				}
			}
			last[i] = s
		}
		if dumpAt.IsZero() || now.Before(dumpAt) {
			continue
		}
		path := u.path
		if traced > 0 {
			path = fmt.Sprintf("%s.%d", u.path, traced+1)
		}
		if err := u.writeTrace(path); err != nil {
			return err
		}
		traced, tracedAt, dumpAt = traced+1, time.Now(), time.Time{}
		fmt.Fprintf(u.log, "underrun: the %v of execution trace around it are in %s (go tool trace %s)\n", traceWindow, path, path)
	}
}

// copyMark is the simulator's copy CPU (drivesim.MemoryCopies) at a tick.
type copyMark struct {
	at  time.Time
	cpu time.Duration
}

// copyShare is the span from the first mark to the last and the share of
// the host's cores (percent of GOMAXPROCS) the copies took in it.
func copyShare(marks []copyMark) (time.Duration, float64) {
	if len(marks) < 2 {
		return 0, 0
	}
	m, cur := marks[0], marks[len(marks)-1]
	span := cur.at.Sub(m.at)
	if span <= 0 {
		return 0, 0
	}
	return span, 100 * float64(cur.cpu-m.cpu) / (float64(span) * float64(runtime.GOMAXPROCS(0)))
}

func (u *underrunWatch) writeTrace(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write an underrun's trace: %w", err)
	}
	_, err = u.fr.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write an underrun's trace to %s: %w", path, err)
	}
	return nil
}

// Stop ends the watch; it says whether a trace could not be written.
// Stopping again does nothing more and says the same.
func (u *underrunWatch) Stop() error {
	u.once.Do(func() {
		close(u.stop)
		u.err = <-u.done
		if u.cpu {
			pprof.StopCPUProfile()
		}
		if u.fr != nil {
			u.fr.Stop()
		}
	})
	return u.err
}

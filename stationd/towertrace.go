//go:build !nonode

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"syscall"
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

// Each underrun's report says what the host did in the second before it:
// the whole process's share of the cores, the garbage collections that
// finished, and the longest the watch's own ticker waited to run with the
// process's share of the cores meanwhile, so a report separates a
// process kept waiting by its own work from one the host did not run at
// all. With simCopies (the memory discs' copies are being measured) it
// also says what share those copies took: the simulator's work, which a
// real drive does by DMA, competing with the station for the same cores.
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
	var marks []watchMark          // oldest first, back to copyWindow ago
	gcs := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	for {
		select {
		case <-u.stop:
			return nil
		case <-tick.C:
		}
		now := time.Now()
		m := watchMark{at: now, proc: processCPU()}
		metrics.Read(gcs)
		if gcs[0].Value.Kind() == metrics.KindUint64 {
			m.gcs = gcs[0].Value.Uint64()
		}
		if u.copies {
			m.cpu = drivesim.MemoryCopies().CPU
		}
		marks = append(marks, m)
		for len(marks) > 2 && now.Sub(marks[1].at) >= copyWindow {
			marks = marks[1:]
		}
		if u.copies {
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
				msg += hostReport(marks, u.copies)
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

// watchMark is what the watch read at a tick.
type watchMark struct {
	at   time.Time
	cpu  time.Duration // the simulator's copies (drivesim.MemoryCopies)
	proc time.Duration // the whole process, user and system
	gcs  uint64        // garbage collections finished
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hostReport is what an underrun's line says of the marks before it:
// "; in the 1.0 s before, the simulator's copies took 1% of the host's 2
// cores, the whole process 45%, 0 garbage collections; the watch's longest
// wait between ticks (due every 20ms) 62 ms, the process using 3% of the
// cores meanwhile".
// A wait much longer than watchEvery means no goroutine of the process
// ran on time; with the process near idle in it, the host did not run it.
func hostReport(marks []watchMark, copies bool) string {
	if len(marks) < 2 {
		return ""
	}
	first, last := marks[0], marks[len(marks)-1]
	span := last.at.Sub(first.at)
	if span <= 0 {
		return ""
	}
	msg := fmt.Sprintf("; in the %.1f s before, ", span.Seconds())
	if copies {
		msg += fmt.Sprintf("the simulator's copies took %.0f%% of the host's %d cores, the whole process %.0f%%", share(last.cpu-first.cpu, span), runtime.GOMAXPROCS(0), share(last.proc-first.proc, span))
	} else {
		msg += fmt.Sprintf("the process took %.0f%% of the host's %d cores", share(last.proc-first.proc, span), runtime.GOMAXPROCS(0))
	}
	msg += fmt.Sprintf(", %d garbage collections", last.gcs-first.gcs)
	gap, i := longestGap(marks)
	return msg + fmt.Sprintf("; the watch's longest wait between ticks (due every %v) %.0f ms, the process using %.0f%% of the cores meanwhile",
		watchEvery, float64(gap)/1e6, share(marks[i].proc-marks[i-1].proc, gap))
}

// longestGap is the longest time between consecutive marks and the index
// of the mark that ended it (0 if there are fewer than two).
func longestGap(marks []watchMark) (time.Duration, int) {
	var gap time.Duration
	end := 0
	for i := 1; i < len(marks); i++ {
		if d := marks[i].at.Sub(marks[i-1].at); d > gap {
			gap, end = d, i
		}
	}
	return gap, end
}

// share is CPU time used over a span, as a percentage of GOMAXPROCS cores.
func share(cpu, span time.Duration) float64 {
	if span <= 0 {
		return 0
	}
	return 100 * float64(cpu) / (float64(span) * float64(runtime.GOMAXPROCS(0)))
}

// copyShare is the span from the first mark to the last and the share of
// the host's cores (percent of GOMAXPROCS) the copies took in it.
func copyShare(marks []watchMark) (time.Duration, float64) {
	if len(marks) < 2 {
		return 0, 0
	}
	m, cur := marks[0], marks[len(marks)-1]
	span := cur.at.Sub(m.at)
	if span <= 0 {
		return 0, 0
	}
	return span, share(cur.cpu-m.cpu, span)
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

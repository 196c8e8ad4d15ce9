package drivesim

import (
	"context"
	"fmt"
	"runtime/trace"
	"time"
)

// Stats count how well the host fed the drive while it wrote: a drive
// writes at its rated speed only while its buffer holds data, and one that
// runs dry mid-stream (an underrun) stops, re-links and loses time. Only a
// throttled drive (TimeScale > 0) keeps them; durations are on the
// drive's clock, scaled.
type Stats struct {
	// Writing is the time the buffer spent draining at speed.
	Writing time.Duration
	// Starved is the time inside a write stream the buffer sat empty,
	// waiting for the host's next WRITE.
	Starved time.Duration
	// Underruns counts the times the buffer ran empty inside a stream.
	Underruns int
	// Streams counts write streams: runs of WRITE commands that a
	// SYNCHRONIZE CACHE, a close, an eject or a reset ends.
	Streams int
	// LongestGap is the longest time inside a stream from a WRITE's
	// completion to the host's next WRITE: how late the host came back.
	// A WRITE that waited for room completes with the buffer full, so
	// an underrun takes a gap longer than the whole buffer's drain time
	// (58 ms for 4 MiB at 16x).
	LongestGap time.Duration
	// Closing and Loading are the modelled times of closing tracks and
	// sessions and finalising, and of spinning up discs put in (not one
	// present at power-on): with
	// Writing, the time the drive itself needs, whatever the host does.
	Closing time.Duration
	Loading time.Duration

	// Reading is the modelled time the drive spent reading the sectors
	// the host asked for, at ReadRate (readahead.go); ReadBytes their
	// bytes.
	Reading   time.Duration
	ReadBytes int64
	// ReadIdle is the time the drive sat with its read-ahead buffer full
	// inside a read stream, waiting for the host's next READ; ReadStalls
	// counts those stops. A host that keeps the drive reading at its
	// rated speed has none.
	ReadIdle   time.Duration
	ReadStalls int
	// ReadStreams counts runs of sequential READs.
	ReadStreams int
}

// DriveTime is the time the drive's own work took: writing and reading at
// speed, closing and loading. A host that never kept the drive waiting
// would finish its discs in this time.
func (s Stats) DriveTime() time.Duration { return s.Writing + s.Reading + s.Closing + s.Loading }

// FedShare is the share of the stream time the drive was writing at its
// rated speed: Writing / (Writing + Starved), 1 when nothing was written.
func (s Stats) FedShare() float64 {
	if s.Writing+s.Starved == 0 {
		return 1
	}
	return float64(s.Writing) / float64(s.Writing+s.Starved)
}

// ReadShare is the share of the read stream time the drive was reading:
// Reading / (Reading + ReadIdle), 1 when nothing was read.
func (s Stats) ReadShare() float64 {
	if s.Reading+s.ReadIdle == 0 {
		return 1
	}
	return float64(s.Reading) / float64(s.Reading+s.ReadIdle)
}

// Stats returns the drive's write-streaming counters since it was made.
func (d *Drive) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// streamWrite accounts a WRITE of a duration d of drain time arriving at
// now, before the buffer's drain time is moved on.
func (d *Drive) streamWrite(now time.Time, drain time.Duration) {
	if d.streaming {
		d.stats.LongestGap = max(d.stats.LongestGap, now.Sub(d.writeDone))
	}
	if d.streaming && now.After(d.drainAt) {
		d.stats.Underruns++
		d.stats.Starved += now.Sub(d.drainAt)
		if trace.IsEnabled() {
			// Marks the moment in an execution trace of the host
			// (stationd bench --tower --trace-underrun).
			trace.Log(context.Background(), "drivesim", fmt.Sprintf("underrun: drive %s, buffer empty for %v before this WRITE", d.opts.Dir, now.Sub(d.drainAt)))
		}
	}
	if !d.streaming {
		d.stats.Streams++
		if trace.IsEnabled() {
			trace.Log(context.Background(), "drivesim", fmt.Sprintf("write stream %d begins: drive %s", d.stats.Streams, d.opts.Dir))
		}
	}
	d.streaming = true
	d.stats.Writing += drain
}

// wrote records when the WRITE just queued completes, for the next one's
// gap (streamWrite).
func (d *Drive) wrote(done time.Time) { d.writeDone = done }

// endStream marks the end of a write stream: the gap before the next
// WRITE is not the host's fault.
func (d *Drive) endStream() { d.streaming = false; d.endRead() }

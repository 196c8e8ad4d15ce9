package burn

import (
	"time"
)

// Progress is one progress event of a copy or a read.
type Progress struct {
	Phase Phase
	// Done and Total are the bytes done and to do in this phase.
	Done, Total int64
	// Rate is the phase's average rate so far in bytes per second, and ETA
	// the time left at that rate; both are zero until time has passed.
	Rate float64
	ETA  time.Duration
}

// Clock tells the time; tests inject a fake one.
type Clock interface{ Now() time.Time }

// meter turns byte counts into progress events with rate and ETA, at most
// one every step bytes besides the first and last of a phase.
type meter struct {
	clock Clock
	fn    func(Progress) error
	phase Phase
	total int64
	start time.Time
	last  int64
	step  int64
}

const progressStep = 32 << 20

func (m *meter) begin(p Phase, total int64) error {
	m.phase, m.total, m.last, m.step = p, total, 0, progressStep
	m.start = m.now()
	return m.emit(0)
}

func (m *meter) now() time.Time {
	if m.clock == nil {
		return time.Time{}
	}
	return m.clock.Now()
}

// update reports done bytes if a step has passed or the phase is complete.
func (m *meter) update(done int64) error {
	if done-m.last < m.step && done != m.total {
		return nil
	}
	m.last = done
	return m.emit(done)
}

func (m *meter) emit(done int64) error {
	if m.fn == nil {
		return nil
	}
	p := Progress{Phase: m.phase, Done: done, Total: m.total}
	if el := m.now().Sub(m.start); el > 0 && done > 0 {
		p.Rate = float64(done) / el.Seconds()
		p.ETA = time.Duration(float64(m.total-done) / p.Rate * float64(time.Second))
	}
	return m.fn(p)
}

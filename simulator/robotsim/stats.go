package robotsim

import "time"

// Stats counts the robot's motions. One robot serves every drive of a
// tower, so how long it moved against how long the tower ran says whether
// the robot, rather than the drives or the host, sets the pace
// (`stationd bench --tower`).
type Stats struct {
	// Motions counts the commands that moved the mechanism, by verb
	// (PICK, LOAD, UNLOAD, REJECT, RESET); a motion that jammed or that a
	// drive refused still moved and counts. A STATUS, a refusal before
	// any motion and a retransmission answered from the last reply do not.
	Motions map[string]int
	// Moving is those motions' modelled time: MotionTime × TimeScale each,
	// the time Serve holds each reply (0 with TimeScale 0).
	Moving time.Duration
	// MotionTime is one motion's modelled time before TimeScale, and
	// TimeScale the robot's.
	MotionTime time.Duration
	TimeScale  float64
}

// Count is the number of motions of all verbs.
func (s Stats) Count() int {
	n := 0
	for _, c := range s.Motions {
		n += c
	}
	return n
}

// Stats returns the robot's motion counters since New.
func (r *Robot) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Motions = make(map[string]int, len(r.stats.Motions))
	for v, c := range r.stats.Motions {
		s.Motions[v] = c
	}
	s.MotionTime, s.TimeScale = r.opts.MotionTime, r.opts.TimeScale
	return s
}

// counted records one motion of verb that takes wait.
func (r *Robot) counted(verb string, wait time.Duration) {
	if r.stats.Motions == nil {
		r.stats.Motions = map[string]int{}
	}
	r.stats.Motions[verb]++
	r.stats.Moving += wait
}

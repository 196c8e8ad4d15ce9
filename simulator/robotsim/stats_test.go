package robotsim

import (
	"maps"
	"testing"
	"time"

	"copystation/robot"
)

// TestStats: every command that moved counts once with its modelled time
// (a jam too); a STATUS, a refusal and a retransmission do not.
func TestStats(t *testing.T) {
	r, _ := newRobot(t, 2) // MotionTime 3 s at TimeScale 1
	r.Inject(Jam{Op: "PICK", After: 2})
	for i, words := range [][]string{
		{"STATUS"},
		{"PICK"},
		{"PICK"}, // retransmitted: answered from the last reply
		{"LOAD", "1"},
		{"LOAD", "1"}, // refused: the gripper is empty
		{"PICK"},      // the second PICK jams, and moved
		{"RESET"},
	} {
		seq := i + 1
		if i == 2 {
			seq = 2
		}
		r.Handle(robot.AppendLine(nil, seq, words...))
	}
	s := r.Stats()
	want := map[string]int{"PICK": 2, "LOAD": 1, "RESET": 1}
	if !maps.Equal(s.Motions, want) || s.Count() != 4 || s.Moving != 12*time.Second || s.MotionTime != 3*time.Second || s.TimeScale != 1 {
		t.Errorf("Stats() = %+v, want motions %v (4), moving 12s, motion time 3s at scale 1", s, want)
	}
	s.Motions["PICK"] = 99
	if got := r.Stats().Motions["PICK"]; got != 2 {
		t.Errorf("Stats().Motions[PICK] = %d after the caller changed its copy, want 2", got)
	}
}

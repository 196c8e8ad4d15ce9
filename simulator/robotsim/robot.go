// Package robotsim is a simulated disc autoloader: the device side of the
// robot line protocol, moving discs between its bins and simulated drives.
package robotsim

import (
	"copystation/robot"
	"copystation/simulator/drivesim"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Drive is what the robot needs of a drive: a tray it can reach.
type Drive interface {
	Insert(drivesim.MediaType) error
	Remove() (*drivesim.Disc, error)
	TrayOpen() bool
	HasDisc() bool
}

var _ Drive = (*drivesim.Drive)(nil)

// Jam is an injected mechanical jam. It fires on a motion command (PICK,
// LOAD, UNLOAD, REJECT, or any when Op is empty) that would otherwise run:
// on the After-th such command (from 1), or with probability Rate drawn
// from the seed. The robot then answers JAMMED until RESET.
type Jam struct {
	Op    string
	After int
	Rate  float64
}

// Options configure the robot.
type Options struct {
	Drives []Drive
	// Blanks is the number of discs in the input bin, of type Media.
	Blanks int
	Media  drivesim.MediaType
	// OutputCapacity and RejectCapacity bound the bins (defaults 100, 50).
	OutputCapacity, RejectCapacity int
	// MotionTime is how long one motion takes (default 2 s), multiplied by
	// TimeScale (0: instant).
	MotionTime time.Duration
	TimeScale  float64
	// After supplies timers for motions; nil means time.After.
	After func(time.Duration) <-chan time.Time
	Seed  uint64
	Jams  []Jam
	// Logf, if set, is told every command that moved or failed, with the
	// reply and the bins' counts after it (copysim -v).
	Logf func(format string, args ...any)
}

// Robot is the simulated autoloader. It is safe for concurrent use.
type Robot struct {
	mu        sync.Mutex
	opts      Options
	prng      *rand.Rand
	input     int
	gripper   bool
	output    []*drivesim.Disc
	rejected  []*drivesim.Disc // nil entries are blanks rejected from the gripper
	jammed    bool
	jams      []Jam
	motions   map[string]int
	lastSeq   int
	lastReply []byte
	stats     Stats
}

// New builds a robot with a full input bin.
func New(opts Options) (*Robot, error) {
	if opts.Media == 0 {
		opts.Media = drivesim.BDR25
	}
	if _, err := drivesim.ParseMediaType(opts.Media.String()); err != nil {
		return nil, fmt.Errorf("robotsim.New: %w", err)
	}
	if opts.OutputCapacity <= 0 {
		opts.OutputCapacity = 100
	}
	if opts.RejectCapacity <= 0 {
		opts.RejectCapacity = 50
	}
	if opts.MotionTime <= 0 {
		opts.MotionTime = 2 * time.Second
	}
	if opts.After == nil {
		opts.After = time.After
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], opts.Seed)
	return &Robot{opts: opts, prng: rand.New(rand.NewChaCha8(seed)), input: opts.Blanks,
		jams: append([]Jam(nil), opts.Jams...), motions: map[string]int{}, lastSeq: -1}, nil
}

// Inject adds a jam.
func (r *Robot) Inject(j Jam) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jams = append(r.jams, j)
}

// Output returns the discs in the output bin, first in first.
func (r *Robot) Output() []*drivesim.Disc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*drivesim.Disc(nil), r.output...)
}

// Bins returns the discs in the input, output and reject bins.
func (r *Robot) Bins() (input, output, rejected int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.input, len(r.output), len(r.rejected)
}

// Close releases the discs in the bins.
func (r *Robot) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	for _, d := range append(r.output, r.rejected...) {
		if d != nil {
			err = errors.Join(err, d.Close())
		}
	}
	r.output, r.rejected = nil, nil
	return err
}

// Handle answers one received line. It returns the reply line, nil for a
// line that failed its checksum (the host will send it again), and how long
// the motion takes before the reply may be sent.
func (r *Robot) Handle(b []byte) ([]byte, time.Duration) {
	l, err := robot.ParseLine(b)
	if err != nil {
		return nil, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if l.Seq == r.lastSeq && r.lastReply != nil {
		return r.lastReply, 0 // a retransmission: never move twice
	}
	words, moved := r.exec(l.Words)
	if r.opts.Logf != nil && (moved || (len(words) > 0 && words[0] == "ERR")) {
		s := r.status()
		r.opts.Logf("robot: %s -> %s (input %d, output %d, reject %d)", strings.Join(l.Words, " "), strings.Join(words, " "), s.Input, s.Output, s.Rejected)
	}
	reply := robot.AppendLine(nil, l.Seq, words...)
	r.lastSeq, r.lastReply = l.Seq, reply
	var wait time.Duration
	if moved {
		wait = time.Duration(float64(r.opts.MotionTime) * r.opts.TimeScale)
		r.counted(l.Words[0], wait)
	}
	return reply, wait
}

// errWords is an ERR reply for a sentinel.
func errWords(err error, msg string) []string {
	w := []string{"ERR", robot.Code(err)}
	if msg != "" {
		w = append(w, msg)
	}
	return w
}

// exec runs one command; moved says the mechanism moved.
func (r *Robot) exec(w []string) ([]string, bool) {
	if len(w) == 0 {
		return errWords(robot.ErrBadCommand, "empty"), false
	}
	verb, args := w[0], w[1:]
	switch verb {
	case "STATUS":
		return robot.StatusFields(r.status()), false
	case "RESET":
		r.jammed = false
		return []string{"OK"}, true
	case "PICK", "LOAD", "UNLOAD", "REJECT":
	default:
		return errWords(robot.ErrBadCommand, "unknown"), false
	}
	n, bad := r.driveArg(verb, args)
	if bad != nil {
		return bad, false
	}
	if r.jammed {
		return errWords(robot.ErrJam, "JAMMED"), false
	}
	if err := r.check(verb, n); err != nil {
		return errWords(err, ""), false
	}
	if r.jamFires(verb) {
		r.jammed = true
		return errWords(robot.ErrJam, verb), true
	}
	if err := r.move(verb, n); err != nil {
		var f *driveFault
		if errors.As(err, &f) {
			return faultWords(f), true
		}
		return errWords(err, ""), true
	}
	return []string{"OK"}, true
}

// driveArg reads the drive number: required for LOAD and UNLOAD, optional
// for REJECT, absent for PICK.
func (r *Robot) driveArg(verb string, args []string) (int, []string) {
	want := map[string]int{"PICK": 0, "LOAD": 1, "UNLOAD": 1, "REJECT": len(args)}[verb]
	if len(args) != want || len(args) > 1 {
		return 0, errWords(robot.ErrBadCommand, "arguments")
	}
	if want == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > len(r.opts.Drives) || args[0][0] == '+' {
		return 0, errWords(robot.ErrNoDrive, "")
	}
	return n, nil
}

// SetInput sets the blanks in the input bin, as a person filling or
// emptying it by hand does.
func (r *Robot) SetInput(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.input = max(n, 0)
}

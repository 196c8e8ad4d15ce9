package simdaemon

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"copystation/robot"
	"copystation/simulator/drivesim"
	"copystation/simulator/robotsim"
)

// Robot is the simulated disc robot serving its line protocol to the
// station's robot client over an in-memory line.
type Robot struct {
	Sim    *robotsim.Robot
	client *robot.Robot
	stop   context.CancelFunc
	done   chan error
}

// startRobot starts the robot; each motion takes motion at scale (motion
// 0: instantly).
func startRobot(drives []*drivesim.Drive, m drivesim.MediaType, blanks int, motion time.Duration, scale float64) (*Robot, error) {
	var ds []robotsim.Drive
	for _, d := range drives {
		ds = append(ds, d)
	}
	if motion <= 0 {
		scale = 0
	}
	sim, err := robotsim.New(robotsim.Options{Drives: ds, Blanks: blanks, Media: m, MotionTime: motion, TimeScale: scale})
	if err != nil {
		return nil, err
	}
	host, dev := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Robot{Sim: sim, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- sim.Serve(ctx, dev) }()
	r.client = robot.New(host)
	return r, nil
}

// Bins reads the robot's bins through its line protocol.
func (r *Robot) Bins(ctx context.Context) (input, output, rejected int, err error) {
	s, err := r.client.Status(ctx)
	return s.Input, s.Output, s.Rejected, err
}

// Close stops the line and the simulated robot (closing the discs it holds).
func (r *Robot) Close() error {
	err := r.client.Close()
	r.stop()
	serr := <-r.done
	if errors.Is(serr, context.Canceled) || errors.Is(serr, io.EOF) || errors.Is(serr, io.ErrClosedPipe) {
		serr = nil
	}
	return errors.Join(err, serr, r.Sim.Close())
}

// MediaType is a simulated blank's type.
type MediaType = drivesim.MediaType

// ParseMedia reads bd-r-25, bd-r-50 or bd-re-25.
func ParseMedia(s string) (MediaType, error) { return drivesim.ParseMediaType(s) }

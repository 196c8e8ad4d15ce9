package robot

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	tarm "github.com/tarm/serial"
)

// Baud is the robot line's speed.
const Baud = 9600

// pollInterval lets a blocked read notice Close: closing a tty does not
// interrupt a read already waiting on it.
const pollInterval = 100 * time.Millisecond

// Open opens the robot's serial device (or pseudo-terminal) in raw 8N1 mode.
func Open(path string, opts ...Option) (*Robot, error) {
	p, err := tarm.OpenPort(&tarm.Config{Name: path, Baud: Baud, ReadTimeout: pollInterval})
	if err != nil {
		return nil, fmt.Errorf("robot.Open %s: %w (is the robot or copysim running, and may this user open the tty?)", path, err)
	}
	return New(&port{p: p}, opts...), nil
}

// port turns a tarm port's timed-out reads (io.EOF) back into a blocking
// stream that ends at Close.
type port struct {
	p      *tarm.Port
	closed atomic.Bool
}

func (p *port) Read(b []byte) (int, error) {
	for {
		n, err := p.p.Read(b)
		if p.closed.Load() {
			return 0, ErrClosed
		}
		if n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
			return n, err
		}
	}
}

func (p *port) Write(b []byte) (int, error) { return p.p.Write(b) }

func (p *port) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	return p.p.Close()
}

package serial

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	tarm "github.com/tarm/serial"
)

// pollInterval is the port's read timeout: how often a blocked read wakes to
// notice Close (a blocking tty read is not interrupted by closing its file).
const pollInterval = 100 * time.Millisecond

// Open opens the serial device (or pseudo-terminal) at path in raw 8N1 mode
// at opts.Baud and starts the host side of the link on it.
func Open(path string, opts Options) (*Transport, error) {
	if opts.Baud <= 0 {
		opts.Baud = 115200
	}
	p, err := tarm.OpenPort(&tarm.Config{Name: path, Baud: opts.Baud, ReadTimeout: pollInterval})
	if err != nil {
		return nil, fmt.Errorf("serial.Open %s: %w (is the drive bridge or copysim running, and may this user open the tty?)", path, err)
	}
	if isPTY(path) {
		// A pseudo-terminal moves bytes at memory speed whatever its
		// baud setting: do not wait for a line rate that does not exist.
		opts.Baud = 0
	}
	t, err := NewTransport(&port{p: p}, opts)
	if err != nil {
		p.Close()
		return nil, err
	}
	return t, nil
}

// port adapts a tarm port, whose reads return io.EOF each time the read
// timeout passes without data, to a stream that blocks until data or Close.
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

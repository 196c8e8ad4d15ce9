// Package serialline opens a serial device (or pseudo-terminal) in raw 8N1
// mode as a blocking byte stream that ends at Close.
package serialline

import (
	"errors"
	"io"
	"sync/atomic"
	"time"

	tarm "github.com/tarm/serial"
)

// pollInterval is the port's read timeout: how often a blocked read wakes to
// notice Close, since closing a tty does not interrupt a read already
// waiting on it.
const pollInterval = 100 * time.Millisecond

// Line is an open serial line. Reads block until data arrives or the line is
// closed; a read on a closed line returns the closed error given to Open.
type Line struct {
	p         *tarm.Port
	closed    atomic.Bool
	errClosed error
}

// Open opens the device at path at the given baud rate. errClosed is what a
// read returns once Close has been called, so each protocol keeps its own
// typed error.
func Open(path string, baud int, errClosed error) (*Line, error) {
	p, err := tarm.OpenPort(&tarm.Config{Name: path, Baud: baud, ReadTimeout: pollInterval})
	if err != nil {
		return nil, err
	}
	return &Line{p: p, errClosed: errClosed}, nil
}

// Read turns the port's timed-out reads (io.EOF) back into a blocking read.
func (l *Line) Read(b []byte) (int, error) {
	for {
		n, err := l.p.Read(b)
		if l.closed.Load() {
			return 0, l.errClosed
		}
		if n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
			return n, err
		}
	}
}

// Write writes to the line.
func (l *Line) Write(b []byte) (int, error) { return l.p.Write(b) }

// Close closes the line; a read blocked on it returns within pollInterval.
func (l *Line) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	return l.p.Close()
}

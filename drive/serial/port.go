package serial

import (
	"fmt"

	"copystation/serialline"
)

// Open opens the serial device (or pseudo-terminal) at path in raw 8N1 mode
// at opts.Baud and starts the host side of the link on it.
func Open(path string, opts Options) (*Transport, error) {
	if opts.Baud <= 0 {
		opts.Baud = 115200
	}
	p, err := serialline.Open(path, opts.Baud, ErrClosed)
	if err != nil {
		return nil, fmt.Errorf("serial.Open %s: %w (is the drive bridge or copysim running, and may this user open the tty?)", path, err)
	}
	if isPTY(path) {
		// A pseudo-terminal moves bytes at memory speed whatever its
		// baud setting: do not wait for a line rate that does not exist.
		opts.Baud = 0
	}
	t, err := NewTransport(p, opts)
	if err != nil {
		p.Close()
		return nil, err
	}
	return t, nil
}

package robot

import (
	"fmt"

	"copystation/serialline"
)

// Baud is the robot line's speed.
const Baud = 9600

// Open opens the robot's serial device (or pseudo-terminal) in raw 8N1 mode.
func Open(path string, opts ...Option) (*Robot, error) {
	p, err := serialline.Open(path, Baud, ErrClosed)
	if err != nil {
		return nil, fmt.Errorf("robot.Open %s: %w (is the robot or copysim running, and may this user open the tty?)", path, err)
	}
	return New(p, opts...), nil
}

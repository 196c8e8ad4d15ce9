// Package pty opens pseudo-terminal pairs in raw mode, so a simulator can
// stand at the device end of what a host opens as a serial line.
package pty

import (
	"errors"
	"os"
)

// ErrUnsupported: pseudo-terminals are only implemented on Linux.
var ErrUnsupported = errors.New("pty: not supported on this system")

// Pair is an open pseudo-terminal. The simulator reads and writes Master;
// a host opens SlavePath. The pair keeps its own slave descriptor open so
// the master keeps working while no host has the line open.
type Pair struct {
	Master    *os.File
	SlavePath string
	slave     *os.File
}

// Close closes both ends.
func (p *Pair) Close() error {
	return errors.Join(p.Master.Close(), p.slave.Close())
}

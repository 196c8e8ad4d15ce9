//go:build !linux

package pty

// Open is only implemented on Linux.
func Open() (*Pair, error) { return nil, ErrUnsupported }

//go:build !linux

package sgio

import (
	"os"
	"time"

	"copystation/drive"
)

// Device is unavailable off Linux.
type Device struct{}

var _ drive.TransportCloser = (*Device)(nil)

// Open fails with ErrUnsupported off Linux.
func Open(path string) (*Device, error) { return nil, ErrUnsupported }

// NewDevice returns a Device whose commands fail with ErrUnsupported.
func NewDevice(f *os.File) *Device { return &Device{} }

func (*Device) Close() error { return nil }

func (*Device) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	return drive.Result{}, ErrUnsupported
}

// Package drivecli opens drives by URI and implements the
// `stationd drive list|info|format|blank|write|read` diagnostic commands.
package drivecli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"copystation/drive"
	"copystation/drive/serial"
	"copystation/drive/sgio"
	"copystation/simulator/drivesim"
)

// ErrBadURI: a device URI names no known transport.
var ErrBadURI = errors.New("drivecli: bad device URI")

// Open opens the drive a URI names:
//
//	sg:/dev/sg0        a real drive through Linux SG_IO (/dev/sg* or /dev/sr*)
//	serial:/dev/ttyS0  a drive bridge or copysim on a serial line or pty
//	sim:               an in-process simulated drive holding a blank BD-R 25;
//	sim:bd-r-50        ... or another medium (bd-r-25, bd-r-50, bd-re-25)
//	sim:none           ... or no medium, tray closed
func Open(uri string) (drive.TransportCloser, error) {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return nil, fmt.Errorf("%w %q: want sg:/dev/sgN, serial:/path/to/tty or sim:", ErrBadURI, uri)
	}
	switch scheme {
	case "sg":
		if rest == "" {
			return nil, fmt.Errorf("%w %q: sg: needs a device path, e.g. sg:/dev/sg0", ErrBadURI, uri)
		}
		d, err := sgio.Open(rest)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return d, nil
	case "serial":
		if rest == "" {
			return nil, fmt.Errorf("%w %q: serial: needs a tty path, e.g. serial:/dev/ttyUSB0", ErrBadURI, uri)
		}
		t, err := serial.Open(rest, serial.Options{})
		if err != nil {
			return nil, err
		}
		return t, nil
	case "sim":
		media := drivesim.BDR25
		if rest == "none" {
			media = 0
		} else if rest != "" {
			m, err := drivesim.ParseMediaType(rest)
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", ErrBadURI, uri, err)
			}
			media = m
		}
		d, err := drivesim.New(drivesim.Options{Media: media, Rand: rand.Reader})
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("%w %q: unknown scheme %q, want sg, serial or sim", ErrBadURI, uri, scheme)
}

package drive

import (
	"context"
	"errors"
)

// Tray is what a drive holding no medium says about its tray: the ASCQ of
// MEDIUM NOT PRESENT (ASC 3Ah; SPC-4 annex D: 01h tray closed, 02h tray
// open, 00h not said).
type Tray uint8

const (
	TrayUnknown Tray = iota // 3A/00: the drive does not say
	TrayClosed              // 3A/01
	TrayOpen                // 3A/02
)

func (t Tray) String() string {
	switch t {
	case TrayClosed:
		return "tray closed"
	case TrayOpen:
		return "tray open"
	}
	return "tray state not reported"
}

// NoMedium reports whether err says no medium is present and, when it
// does, what the drive said about its tray.
func NoMedium(err error) (Tray, bool) {
	if !errors.Is(err, ErrMediumNotPresent) {
		return TrayUnknown, false
	}
	var se *SenseError
	if !errors.As(err, &se) {
		return TrayUnknown, true
	}
	switch se.Code() {
	case ASCMediumNotPresentTrayClose:
		return TrayClosed, true
	case ASCMediumNotPresentTrayOpen:
		return TrayOpen, true
	}
	return TrayUnknown, true
}

// Medium waits until the drive is ready and reports whether a medium is
// in it. With no medium it returns present false, the tray state and a
// nil error: an empty drive is a state to report, not a failure. Any
// other condition is returned as WaitReady returns it.
func (d *Drive) Medium(ctx context.Context) (present bool, tray Tray, err error) {
	err = d.WaitReady(ctx)
	if t, ok := NoMedium(err); ok {
		return false, t, nil
	}
	return err == nil, TrayUnknown, err
}

// Package kiosk is the station's front panel: the door interlock, the
// tamper switch and the status LEDs, on GPIO lines.
//
// # Concepts
//
// A door that is open forbids loading and ejecting discs. A tamper switch
// that trips is latched: the panel calls the daemon's wipe function (which
// destroys every copy key held in memory), lights the error LED and refuses
// jobs until an operator clears it with the station's clear code while the
// enclosure is closed again. The LEDs show one of ready, busy or error.
package kiosk

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Pins are the GPIO lines of the panel. Inputs read high when the door is
// open or the enclosure is opened.
type Pins struct {
	Door, Tamper            gpio.PinIn
	Ready, Busy, ErrorLight gpio.PinOut
}

// Light is what the LEDs show.
type Light int

// The panel's lights.
const (
	LightOff Light = iota
	LightReady
	LightBusy
	LightError
)

// Errors a caller shows to a person.
var (
	ErrDoorOpen  = errors.New("the door is open: close it before a disc is loaded or ejected")
	ErrTampered  = errors.New("the station's enclosure was opened: copy keys were wiped and jobs are refused until an operator clears the tamper alarm")
	ErrStillOpen = errors.New("the tamper switch still reads open: close the enclosure before clearing")
	ErrBadCode   = errors.New("wrong tamper clear code")
)

// Panel watches the inputs and drives the LEDs.
type Panel struct {
	pins Pins
	code []byte
	wipe func()

	mu       sync.Mutex
	tampered bool
	light    Light
	busy     bool
}

// New configures the pins and returns a panel. wipe is called once each time
// the tamper switch trips; clearCode is what ClearTamper expects.
func New(p Pins, clearCode string, wipe func()) (*Panel, error) {
	for _, in := range []gpio.PinIn{p.Door, p.Tamper} {
		if err := in.In(gpio.PullNoChange, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("kiosk.New: input %s: %w", in, err)
		}
	}
	k := &Panel{pins: p, code: []byte(clearCode), wipe: wipe}
	if err := k.show(LightReady); err != nil {
		return nil, err
	}
	k.Poll()
	return k, nil
}

// Poll reads the inputs once, latching a tamper. The daemon calls it on a
// ticker (Run) and before every load or eject.
func (k *Panel) Poll() {
	if k.pins.Tamper.Read() != gpio.High {
		return
	}
	k.mu.Lock()
	first := !k.tampered
	k.tampered = true
	k.mu.Unlock()
	if first {
		if k.wipe != nil {
			k.wipe()
		}
		k.refresh()
	}
}

// Run polls every interval until ctx ends.
func (k *Panel) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.Poll()
		}
	}
}

// DoorOpen reports the door switch.
func (k *Panel) DoorOpen() bool { return k.pins.Door.Read() == gpio.High }

// Tampered reports whether the tamper alarm is latched.
func (k *Panel) Tampered() bool {
	k.Poll()
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tampered
}

// MayMoveDisc returns nil when a disc may be loaded or ejected now.
func (k *Panel) MayMoveDisc() error {
	if k.Tampered() {
		return ErrTampered
	}
	if k.DoorOpen() {
		return ErrDoorOpen
	}
	return nil
}

// MayStartJob returns nil when a new job may start.
func (k *Panel) MayStartJob() error {
	if k.Tampered() {
		return ErrTampered
	}
	return nil
}

// ClearTamper clears a latched alarm given the right code and a closed
// enclosure.
func (k *Panel) ClearTamper(code string) error {
	if subtle.ConstantTimeCompare([]byte(code), k.code) != 1 || len(k.code) == 0 {
		return fmt.Errorf("kiosk.ClearTamper: %w", ErrBadCode)
	}
	if k.pins.Tamper.Read() == gpio.High {
		return fmt.Errorf("kiosk.ClearTamper: %w", ErrStillOpen)
	}
	k.mu.Lock()
	k.tampered = false
	k.mu.Unlock()
	return k.refresh()
}

// SetBusy says whether any drive is burning; the LEDs follow.
func (k *Panel) SetBusy(busy bool) error {
	k.mu.Lock()
	k.busy = busy
	k.mu.Unlock()
	return k.refresh()
}

// Light returns what the LEDs show.
func (k *Panel) Light() Light {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.light
}

func (k *Panel) refresh() error {
	k.mu.Lock()
	l := LightReady
	switch {
	case k.tampered:
		l = LightError
	case k.busy:
		l = LightBusy
	}
	k.mu.Unlock()
	return k.show(l)
}

func (k *Panel) show(l Light) error {
	set := []struct {
		p  gpio.PinOut
		on bool
	}{{k.pins.Ready, l == LightReady}, {k.pins.Busy, l == LightBusy}, {k.pins.ErrorLight, l == LightError}}
	var errs []error
	for _, s := range set {
		if err := s.p.Out(gpio.Level(s.on)); err != nil {
			errs = append(errs, fmt.Errorf("kiosk: LED %s: %w", s.p, err))
		}
	}
	k.mu.Lock()
	k.light = l
	k.mu.Unlock()
	return errors.Join(errs...)
}

// Package kiosk is the station's front panel: the door interlock, the
// tamper switch and the status LEDs, on GPIO lines.
//
// # Concepts
//
// A door that is open forbids loading and ejecting discs. A tamper switch
// that trips is latched: the panel calls the daemon's wipe function (which
// destroys every copy key held in memory), lights the error LED and refuses
// jobs until an operator clears it with the station's clear code while the
// enclosure is closed again. The tamper line is watched for rising edges, so
// an opening shorter than any poll is still latched; the level is read too,
// and a line that cannot report edges is polled. Wrong clear codes past a
// few earn a growing wait. The LEDs show one of ready, busy or error.
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
	ErrTooSoon   = errors.New("too many wrong tamper clear codes: wait before trying again")
)

// Wrong clear codes: freeCodeTries are allowed at once; after that each
// wrong code doubles the wait before the next try, from firstCodeWait up to
// maxCodeWait.
const (
	freeCodeTries = 3
	firstCodeWait = time.Second
	maxCodeWait   = 5 * time.Minute
)

// Panel watches the inputs and drives the LEDs.
type Panel struct {
	pins  Pins
	code  []byte
	wipe  func()
	edges bool // the tamper line reports rising edges
	now   func() time.Time

	mu        sync.Mutex
	tampered  bool
	light     Light
	busy      bool
	wrong     int       // wrong clear codes since the last right one
	nextClear time.Time // no clear attempt before this
}

// New configures the pins and returns a panel. wipe is called once each time
// the tamper switch trips; clearCode is what ClearTamper expects.
func New(p Pins, clearCode string, wipe func()) (*Panel, error) {
	if err := p.Door.In(gpio.PullNoChange, gpio.NoEdge); err != nil {
		return nil, fmt.Errorf("kiosk.New: input %s: %w", p.Door, err)
	}
	k := &Panel{pins: p, code: []byte(clearCode), wipe: wipe, now: time.Now}
	// The switch closes the line to high when the enclosure opens; pulled
	// down, a rising edge is an opening, however short.
	if err := p.Tamper.In(gpio.PullDown, gpio.RisingEdge); err == nil {
		k.edges = true
	} else if err := p.Tamper.In(gpio.PullNoChange, gpio.NoEdge); err != nil {
		return nil, fmt.Errorf("kiosk.New: input %s: %w", p.Tamper, err)
	}
	if err := k.show(LightReady); err != nil {
		return nil, err
	}
	k.Poll()
	return k, nil
}

// EdgeTriggered reports whether the tamper line reports edges (else Run
// polls it).
func (k *Panel) EdgeTriggered() bool { return k.edges }

// Poll reads the inputs once, latching a tamper. Run calls it after every
// edge wait, and the daemon before every load or eject.
func (k *Panel) Poll() {
	if k.pins.Tamper.Read() == gpio.High {
		k.trip()
	}
}

// trip latches the alarm; the first trip wipes the keys.
func (k *Panel) trip() {
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

// Run watches the tamper line until ctx ends: it waits up to interval for a
// rising edge (which latches the alarm even if the line is low again by the
// time it is read), then reads the level. ctx is checked once per interval.
func (k *Panel) Run(ctx context.Context, interval time.Duration) {
	for ctx.Err() == nil {
		if k.edges {
			if k.pins.Tamper.WaitForEdge(interval) {
				k.trip()
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
		k.Poll()
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
// enclosure. After freeCodeTries wrong codes, each further one doubles the
// wait before the next attempt (ErrTooSoon until then).
func (k *Panel) ClearTamper(code string) error {
	now := k.now()
	k.mu.Lock()
	if now.Before(k.nextClear) {
		wait := k.nextClear.Sub(now).Round(time.Second)
		k.mu.Unlock()
		return fmt.Errorf("kiosk.ClearTamper: %w (%v)", ErrTooSoon, wait)
	}
	if subtle.ConstantTimeCompare([]byte(code), k.code) != 1 || len(k.code) == 0 {
		k.wrong++
		if k.wrong >= freeCodeTries {
			wait := min(firstCodeWait<<min(k.wrong-freeCodeTries, 20), maxCodeWait)
			k.nextClear = now.Add(wait)
		}
		k.mu.Unlock()
		return fmt.Errorf("kiosk.ClearTamper: %w", ErrBadCode)
	}
	k.wrong, k.nextClear = 0, time.Time{}
	k.mu.Unlock()
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

// Latch latches the alarm without calling wipe: the daemon restarting with
// an alarm its journal kept across the power cycle (nothing is held to
// wipe yet). Only ClearTamper ends it.
func (k *Panel) Latch() {
	k.mu.Lock()
	k.tampered = true
	k.mu.Unlock()
	k.refresh()
}

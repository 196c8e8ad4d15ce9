package kiosk

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

type rig struct {
	door, tamper, ready, busy, errl *gpiotest.Pin
	wipes                           int
	panel                           *Panel
}

func newRig(t *testing.T) *rig {
	r := &rig{
		door: &gpiotest.Pin{N: "door"}, tamper: &gpiotest.Pin{N: "tamper"},
		ready: &gpiotest.Pin{N: "ready"}, busy: &gpiotest.Pin{N: "busy"}, errl: &gpiotest.Pin{N: "error"},
	}
	p, err := New(Pins{Door: r.door, Tamper: r.tamper, Ready: r.ready, Busy: r.busy, ErrorLight: r.errl}, "open-sesame", func() { r.wipes++ })
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	r.panel = p
	return r
}

func (r *rig) leds() [3]gpio.Level {
	return [3]gpio.Level{r.ready.Read(), r.busy.Read(), r.errl.Read()}
}

var (
	showReady = [3]gpio.Level{gpio.High, gpio.Low, gpio.Low}
	showBusy  = [3]gpio.Level{gpio.Low, gpio.High, gpio.Low}
	showError = [3]gpio.Level{gpio.Low, gpio.Low, gpio.High}
)

func TestDoorInterlock(t *testing.T) {
	r := newRig(t)
	tests := []struct {
		name string
		door gpio.Level
		want error
	}{
		{"closed", gpio.Low, nil},
		{"open", gpio.High, ErrDoorOpen},
		{"closed again", gpio.Low, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.door.Out(tt.door)
			if err := r.panel.MayMoveDisc(); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("MayMoveDisc() with door %v = %v, want %v", tt.door, err, tt.want)
			}
			if err := r.panel.MayStartJob(); err != nil {
				t.Errorf("MayStartJob() with door %v = %v, want nil (the door only stops disc moves)", tt.door, err)
			}
		})
	}
}

func TestLEDs(t *testing.T) {
	r := newRig(t)
	steps := []struct {
		name string
		do   func()
		want [3]gpio.Level
	}{
		{"idle", func() {}, showReady},
		{"burning", func() { r.panel.SetBusy(true) }, showBusy},
		{"idle again", func() { r.panel.SetBusy(false) }, showReady},
		{"tamper beats busy", func() { r.panel.SetBusy(true); r.tamper.Out(gpio.High); r.panel.Poll() }, showError},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do()
			if got := r.leds(); got != s.want {
				t.Errorf("LEDs (ready, busy, error) = %v, want %v", got, s.want)
			}
		})
	}
}

func TestTamperLatchesWipesAndClears(t *testing.T) {
	r := newRig(t)
	r.tamper.Out(gpio.High)
	r.panel.Poll()
	r.panel.Poll() // a second poll must not wipe again
	if r.wipes != 1 {
		t.Errorf("wipes after tamper = %d, want 1", r.wipes)
	}
	r.tamper.Out(gpio.Low) // closing the enclosure does not clear the latch
	if err := r.panel.MayStartJob(); !errors.Is(err, ErrTampered) {
		t.Errorf("MayStartJob() after tamper = %v, want %v", err, ErrTampered)
	}
	if err := r.panel.MayMoveDisc(); !errors.Is(err, ErrTampered) {
		t.Errorf("MayMoveDisc() after tamper = %v, want %v", err, ErrTampered)
	}
	if err := r.panel.ClearTamper("guess"); !errors.Is(err, ErrBadCode) {
		t.Errorf("ClearTamper(wrong) = %v, want %v", err, ErrBadCode)
	}
	r.tamper.Out(gpio.High)
	if err := r.panel.ClearTamper("open-sesame"); !errors.Is(err, ErrStillOpen) {
		t.Errorf("ClearTamper with enclosure open = %v, want %v", err, ErrStillOpen)
	}
	r.tamper.Out(gpio.Low)
	if err := r.panel.ClearTamper("open-sesame"); err != nil {
		t.Fatalf("ClearTamper(right) = %v", err)
	}
	if err := r.panel.MayStartJob(); err != nil {
		t.Errorf("MayStartJob() after clear = %v, want nil", err)
	}
	if got := r.leds(); got != showReady {
		t.Errorf("LEDs after clear = %v, want %v", got, showReady)
	}
	r.tamper.Out(gpio.High)
	r.panel.Poll()
	if r.wipes != 2 {
		t.Errorf("wipes after a second tamper = %d, want 2", r.wipes)
	}
}

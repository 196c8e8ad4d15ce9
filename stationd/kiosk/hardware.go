package kiosk

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// Names are the GPIO line names of a panel, as the GPIO character device
// calls them (e.g. "GPIO17").
type Names struct {
	Door, Tamper, Ready, Busy, Error string
}

// OpenPins finds the named lines on the host's GPIO character devices.
func OpenPins(n Names) (Pins, error) {
	if _, err := host.Init(); err != nil {
		return Pins{}, fmt.Errorf("kiosk.OpenPins: %w", err)
	}
	get := func(what, name string) (gpio.PinIO, error) {
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("kiosk.OpenPins: %s line %q not found (check the kiosk pins in the configuration and `gpioinfo`)", what, name)
		}
		return p, nil
	}
	var p Pins
	var err error
	if p.Door, err = get("door", n.Door); err != nil {
		return Pins{}, err
	}
	if p.Tamper, err = get("tamper", n.Tamper); err != nil {
		return Pins{}, err
	}
	if p.Ready, err = get("ready LED", n.Ready); err != nil {
		return Pins{}, err
	}
	if p.Busy, err = get("busy LED", n.Busy); err != nil {
		return Pins{}, err
	}
	if p.ErrorLight, err = get("error LED", n.Error); err != nil {
		return Pins{}, err
	}
	return p, nil
}

package sgio

import (
	"testing"

	"copystation/drive"
	"copystation/drive/drivetest"
	"copystation/simulator/drivesim"
)

// TestConformanceSGIOPath runs the backend suite through the SG_IO code
// path, with the stand-in kernel in front of the simulator.
func TestConformanceSGIOPath(t *testing.T) {
	drivetest.RunConformance(t, func(t *testing.T) drive.Transport {
		dev, _ := simDevice(t, drivesim.Options{Media: drivesim.BDR25, Seed: 4})
		return dev
	})
}

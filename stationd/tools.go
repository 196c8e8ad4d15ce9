package main

import (
	"context"
	"fmt"
	"io"

	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/internal/disccli"
	"copystation/stationd/internal/drivecli"
	"copystation/stationd/internal/tpmcli"
)

func init() {
	tools["drive"] = drivecli.Main
	tools["tpm"] = tpmcli.Main
	tools["enroll"] = tpmcli.Main
	tools["disc"] = func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return disccli.Run(ctx, args, stdout, stderr, drivecli.Open)
	}
}

// openDrives is the daemon's Deps.Drives: it opens the configured drives
// by the same URIs as the diagnostics. A drive that does not open is
// kept as a daemon.FailedDrive, so a tower with one dead drive starts and
// burns on the others (and says which one is out).
func openDrives(c config.Config) ([]daemon.Drive, error) {
	var out []daemon.Drive
	for i, d := range c.Drives {
		t, err := drivecli.Open(d.Device)
		if err != nil {
			out = append(out, &daemon.FailedDrive{Label: d.Device, Err: fmt.Errorf("drive[%d]: %w", i, err)})
			continue
		}
		out = append(out, daemon.NewMMCDrive(t, d.Device))
	}
	return out, nil
}

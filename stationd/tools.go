package main

import (
	"context"
	"fmt"
	"io"

	"copystation/drive"
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
// kept out of service (daemon.NewUnopenedDrive), so a tower with one dead
// drive starts and burns on the others, says which one is out, and opens
// it again when it is re-probed; an opened drive that leaves the bus is
// opened again by its URI the same way.
func openDrives(c config.Config) ([]daemon.Drive, error) {
	var out []daemon.Drive
	for i, d := range c.Drives {
		reopen := func() (drive.Transport, error) { return drivecli.Open(d.Device) }
		t, err := reopen()
		if err != nil {
			out = append(out, daemon.NewUnopenedDrive(d.Device, fmt.Errorf("drive[%d]: %w", i, err), reopen))
			continue
		}
		md := daemon.NewMMCDrive(t, d.Device)
		md.Reopen = reopen
		out = append(out, md)
	}
	return out, nil
}

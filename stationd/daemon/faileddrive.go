package daemon

import (
	"context"
	"errors"
	"fmt"
)

// ErrDriveFailed means a configured drive could not be opened; the station
// runs on its other drives and reports this one until it is fixed and the
// daemon restarted.
var ErrDriveFailed = errors.New("drive failed")

// FailedDrive stands in for a configured drive that could not be opened (a
// missing sg node, a dead serial link): the daemon starts without it rather
// than not at all, gives it no job, and shows it as failed in the status,
// the systemd STATUS= line and the stationd_drives_failed metric.
type FailedDrive struct {
	Label string
	Err   error
}

var _ Drive = (*FailedDrive)(nil)

// Name implements Drive.
func (f *FailedDrive) Name() string { return f.Label }

// MediaInfo implements Drive: it always fails.
func (f *FailedDrive) MediaInfo(context.Context) (Media, error) { return Media{}, f.failure() }

// Finalize implements Drive: it always fails.
func (f *FailedDrive) Finalize(context.Context) error { return f.failure() }

func (f *FailedDrive) failure() error {
	return fmt.Errorf("%w: %s: %w (fix the drive, then restart stationd)", ErrDriveFailed, f.Label, f.Err)
}

// driveFailure returns why drive n is out of service, or nil.
func (d *Daemon) driveFailure(n int) error {
	if f, ok := d.drives[n].(*FailedDrive); ok {
		return f.failure()
	}
	return nil
}

// failedDrives counts the drives out of service.
func (d *Daemon) failedDrives() int {
	bad := 0
	for i := range d.drives {
		if d.driveFailure(i) != nil {
			bad++
		}
	}
	return bad
}

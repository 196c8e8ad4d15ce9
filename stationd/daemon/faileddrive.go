package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"copystation/drive"
	"copystation/stationd/job"
)

// ErrDriveFailed means a drive is out of service: it could not be opened,
// or it failed while in service (a hardware error, a command that never
// completed, the device gone from the bus). The station runs on its other
// drives and reports this one; it is re-probed and returns to service
// (reprobe.go), or after a hardware error by `stationd drive enable N`.
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

// Prober is a Drive that can say whether it still answers at all (an
// INQUIRY): after a transport failure or a timeout, the daemon asks before
// it takes the drive out of service, so a drive that lost power for a
// moment and came back keeps its place.
type Prober interface {
	Probe(ctx context.Context) error
}

// probeTimeout bounds the probe of a drive suspected dead.
const probeTimeout = 5 * time.Second

// health keeps the drives that failed in service, the disc each still
// holds, and when each is probed next.
type health struct {
	mu   sync.Mutex
	down []error
	left []string
	// manual marks a drive that failed with a hardware error: it returns
	// only by an operator's enable, never by a re-probe (reprobe.go).
	manual []bool
	next   []time.Time     // when the next re-probe is due
	delay  []time.Duration // the pause after the next failed probe
}

// driveFault reports whether err says the drive itself failed, not its
// disc, the robot or the ledger: a HARDWARE ERROR sense (SPC-4: a
// non-recoverable failure of the device), a command that never completed,
// or a transport failure (the device gone from the bus, a dead link).
func driveFault(err error) (fault, probe bool) {
	switch {
	case errors.Is(err, drive.ErrHardwareError):
		return true, false
	case errors.Is(err, drive.ErrTimeout), errors.Is(err, drive.ErrTransport):
		return true, true
	}
	return false, false
}

// noteFault takes drive n out of service when err, from work on it, says
// the drive failed (for a timeout or a transport failure, once a probe
// confirms the drive no longer answers). It reports whether it did so just
// now; the run loop then moves the job off the drive (leave).
func (d *Daemon) noteFault(ctx context.Context, n int, err error) bool {
	fault, probe := driveFault(err)
	if !fault || ctx.Err() != nil || d.driveFailure(n) != nil {
		return false
	}
	if p, ok := d.drives[n].(Prober); ok && probe {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		perr := p.Probe(pctx)
		cancel()
		if perr == nil {
			d.log.Warn("drive answered again after a failure; it stays in service", "drive", n, "err", err)
			return false
		}
		err = fmt.Errorf("%w; it does not answer since: %w", err, perr)
	}
	manual := errors.Is(err, drive.ErrHardwareError)
	what := "it is probed again and returns to service once it answers cleanly"
	if manual {
		what = fmt.Sprintf("after a hardware error it returns only by `stationd drive enable %d`", n)
	}
	d.setDown(n, fmt.Errorf("%w: %s failed in service: %w (take out any disc it holds by hand, fix or replace the drive; %s)",
		ErrDriveFailed, d.drives[n].Name(), err, what), manual)
	d.log.Error("drive failed; it gets no more jobs and the station burns on its other drives", "drive", n, "err", err)
	d.metrics.DrivesFailed.Set(float64(d.failedDrives()))
	d.notifier.Status(d.statusLine())
	return true
}

// leftDisc records the disc a failed drive still holds, for a person to
// take out (the robot reaches a disc only through a tray the drive opens).
func (d *Daemon) leftDisc(n int, what string) {
	d.health.mu.Lock()
	d.health.left[n] = what
	d.health.mu.Unlock()
	d.log.Warn("a disc stays in the failed drive; take it out by hand", "drive", n, "disc", what)
}

// driveFailure returns why drive n is out of service, or nil.
func (d *Daemon) driveFailure(n int) error {
	if f, ok := d.drives[n].(*FailedDrive); ok {
		return f.failure()
	}
	d.health.mu.Lock()
	defer d.health.mu.Unlock()
	return d.health.down[n]
}

// discLeft says what disc failed drive n still holds ("" for none).
func (d *Daemon) discLeft(n int) string {
	d.health.mu.Lock()
	defer d.health.mu.Unlock()
	return d.health.left[n]
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

// leave moves a job off drive n, out of service: one that holds no
// disc of its own yet goes back to the queue for another drive; one whose
// blank was authorised or written is spoiled (the disc cannot be finished
// in a drive that failed), and the spoil is reported and retried on a
// new blank under the same spend by the one rule for it (retry, which
// leaves the disc in the drive and the job to the queue); the states that
// need only the ledger (authorising, reporting, spoiled) run as ever.
func (d *Daemon) leave(ctx context.Context, n int, j job.Job) (job.Job, error) {
	switch j.State {
	case job.Queued, job.MediaCheck:
		return d.release(ctx, j)
	case job.Authorised, job.Writing, job.Verifying, job.Finalising:
		return d.spoil(ctx, n, j, d.driveFailure(n))
	}
	return d.step(ctx, n, j)
}

// release hands a job back to the queue for any drive.
func (d *Daemon) release(ctx context.Context, j job.Job) (job.Job, error) {
	j, err := d.store.Update(ctx, j.ID, func(x *job.Job) { x.Drive = -1 })
	if err != nil {
		return j, err
	}
	d.log.Info("job back in the queue for another drive", "job", j.ID, "state", j.State)
	d.wakeAll()
	return j, nil
}

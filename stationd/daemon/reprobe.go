package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrDriveInService: `stationd drive enable` named a drive that is not out
// of service.
var ErrDriveInService = errors.New("the drive is in service already")

// ErrNoSuchDrive: a drive index the station does not have.
var ErrNoSuchDrive = errors.New("no such drive")

// Reprober is a Drive that can be probed again while out of service,
// opening its device anew if it went away (MMCDrive).
type Reprober interface {
	Reprobe(ctx context.Context) error
}

// opener is a Drive that may not have opened at start (MMCDrive).
type opener interface{ OpenError() error }

// markUnopened takes out of service, at start, every drive whose device
// did not open; each is re-probed like a drive that left the bus.
func (d *Daemon) markUnopened() {
	for n, dr := range d.drives {
		if o, ok := dr.(opener); ok && o.OpenError() != nil {
			d.setDown(n, fmt.Errorf("%w: %s did not open: %w (it is probed again and joins once it answers)", ErrDriveFailed, dr.Name(), o.OpenError()), false)
		}
	}
}

// setDown takes drive n out of service with why; manual drives wait for
// an operator, the others are re-probed after the first backoff pause.
func (d *Daemon) setDown(n int, why error, manual bool) {
	first, _ := d.reprobeBackoff()
	d.health.mu.Lock()
	d.health.down[n], d.health.manual[n] = why, manual
	d.health.delay[n], d.health.next[n] = first, d.now().Add(first)
	d.health.mu.Unlock()
}

// reprobeBackoff is the first pause and the longest (config: drive_reprobe,
// drive_reprobe_max; 30 s doubling to 10 minutes when left zero).
func (d *Daemon) reprobeBackoff() (first, most time.Duration) {
	first, most = d.cfg.DriveReprobe, d.cfg.DriveReprobeMax
	if first <= 0 {
		first = 30 * time.Second
	}
	if most < first {
		most = max(first, 10*time.Minute)
	}
	return first, most
}

// reprobeLoop probes the drives out of service when each is due. A drive
// that fails by a hardware error is not probed: it answers INQUIRY and
// TEST UNIT READY with no disc in it and may fail again mid-write,
// spoiling another customer's blank, so a person checks it and enables
// it (Enable).
func (d *Daemon) reprobeLoop(ctx context.Context) {
	first, _ := d.reprobeBackoff()
	tick := time.NewTicker(min(first, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for n := range d.drives {
			if d.reprobeDue(n) {
				d.reprobe(ctx, n)
			}
		}
	}
}

func (d *Daemon) reprobeDue(n int) bool {
	if _, ok := d.drives[n].(Reprober); !ok {
		return false
	}
	d.health.mu.Lock()
	defer d.health.mu.Unlock()
	return d.health.down[n] != nil && !d.health.manual[n] && !d.now().Before(d.health.next[n])
}

// reprobe probes drive n once; on failure the pause doubles.
func (d *Daemon) reprobe(ctx context.Context, n int) {
	if err := d.checkBack(ctx, n); err != nil {
		_, most := d.reprobeBackoff()
		d.health.mu.Lock()
		d.health.next[n] = d.now().Add(d.health.delay[n])
		d.health.delay[n] = min(2*d.health.delay[n], most)
		d.health.mu.Unlock()
		d.log.Debug("drive still out of service", "drive", n, "err", err)
		return
	}
	d.backInService(n, "it answers again")
}

// checkBack probes drive n and checks it holds no disc a person must
// take out (one left by the failure: a spoiled disc, or a made copy for
// its owner, which a next job must not bin).
func (d *Daemon) checkBack(ctx context.Context, n int) error {
	r, ok := d.drives[n].(Reprober)
	if !ok {
		return fmt.Errorf("%w: drive %d cannot be probed", ErrDriveFailed, n)
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if err := r.Reprobe(pctx); err != nil {
		return err
	}
	if d.discLeft(n) == "" {
		return nil
	}
	m, err := d.drives[n].MediaInfo(pctx)
	if err != nil {
		return err
	}
	if m.Present {
		return fmt.Errorf("%w: drive %d answers, but still holds %s: take it out by hand", ErrDriveFailed, n, d.discLeft(n))
	}
	return nil
}

// backInService returns drive n to service and wakes its worker.
func (d *Daemon) backInService(n int, why string) {
	d.health.mu.Lock()
	d.health.down[n], d.health.left[n], d.health.manual[n] = nil, "", false
	d.health.mu.Unlock()
	d.log.Warn("drive back in service", "drive", n, "name", d.drives[n].Name(), "why", why)
	d.metrics.DrivesFailed.Set(float64(d.failedDrives()))
	d.metrics.DrivesReturned.Inc()
	d.notifier.Status(d.statusLine())
	select {
	case d.wake[n] <- struct{}{}:
	default:
	}
}

// EnableDrive is an operator's `stationd drive enable N`: drive n, out of
// service (after a hardware error, or any other failure), is probed now and
// returns to service if it answers cleanly and holds no disc left by the
// failure.
func (d *Daemon) EnableDrive(ctx context.Context, n int) error {
	if n < 0 || n >= len(d.drives) {
		return fmt.Errorf("stationd: drive enable %d: %w (the station has drives 0 to %d)", n, ErrNoSuchDrive, len(d.drives)-1)
	}
	if d.driveFailure(n) == nil {
		return fmt.Errorf("stationd: drive enable %d: %w", n, ErrDriveInService)
	}
	if err := d.checkBack(ctx, n); err != nil {
		return fmt.Errorf("stationd: drive enable %d: it stays out of service: %w", n, err)
	}
	d.backInService(n, "enabled by an operator")
	return nil
}

// probePlan says whether drive n waits for an operator, and when it is
// probed next (zero when never).
func (d *Daemon) probePlan(n int) (manual bool, next time.Time) {
	if _, ok := d.drives[n].(Reprober); !ok {
		return false, time.Time{}
	}
	d.health.mu.Lock()
	defer d.health.mu.Unlock()
	if d.health.manual[n] {
		return true, time.Time{}
	}
	return false, d.health.next[n]
}

func (d *Daemon) enableDrive(w http.ResponseWriter, r *http.Request) {
	var b struct{}
	if err := decode(r, &b); err != nil {
		replyErr(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		n = -1
	}
	switch err := d.EnableDrive(r.Context(), n); {
	case errors.Is(err, ErrNoSuchDrive):
		replyErr(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, ErrDriveInService):
		replyErr(w, http.StatusConflict, "in_service", err)
	case err != nil:
		replyErr(w, http.StatusConflict, "drive_failed", err)
	default:
		reply(w, http.StatusOK, d.Status(r.Context()))
	}
}

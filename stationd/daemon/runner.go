package daemon

import (
	"context"
	"copystation/stationd/api"
	"errors"
	"fmt"
	"strconv"
	"time"

	"copystation/stationd/job"
	"copystation/stationd/kiosk"
)

// worker runs the jobs of drive n, one at a time.
// A drive out of service still moves its own unfinished jobs off itself
// (leave), then waits, taking no job, until it is back in service
// (reprobe.go wakes it): the queue goes to the drives that work.
func (d *Daemon) worker(ctx context.Context, n int) {
	said := false
	for ctx.Err() == nil {
		j, ok := d.claim(ctx, n)
		if !ok {
			retry := time.After(d.deps.Retry)
			if err := d.driveFailure(n); err != nil {
				if !said {
					d.log.Error("drive out of service; the station burns on its other drives", "drive", n, "err", err)
				}
				said, retry = true, nil // only a wake: back in service
			} else {
				said = false
			}
			select {
			case <-ctx.Done():
				return
			case <-d.wake[n]:
			case <-retry:
			}
			continue
		}
		d.setDriveJob(n, j.ID)
		d.run(ctx, n, j)
		d.setDriveJob(n, "")
	}
}

// claim returns the job drive n should work on: one of its own left
// unfinished (after a restart), else, if the drive is in service, the
// oldest job waiting for a drive (queued, or handed back by a drive that
// failed before its blank was spent on).
func (d *Daemon) claim(ctx context.Context, n int) (job.Job, bool) {
	d.claimMu.Lock()
	defer d.claimMu.Unlock()
	jobs, err := d.store.Active(ctx)
	if err != nil {
		if ctx.Err() == nil { // a query cut short by a stop is no error
			d.log.Error("cannot read the journal", "err", err)
		}
		return job.Job{}, false
	}
	for _, j := range jobs {
		if j.Drive == n && !j.State.Terminal() {
			return j, true
		}
	}
	if d.driveFailure(n) != nil {
		return job.Job{}, false
	}
	for _, j := range jobs {
		if j.Drive < 0 && (j.State == job.Queued || j.State == job.MediaCheck) {
			j, err := d.store.Update(ctx, j.ID, func(x *job.Job) { x.Drive = n })
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("cannot claim a job", "job", j.ID, "err", err)
				}
				return job.Job{}, false
			}
			return j, true
		}
	}
	return job.Job{}, false
}

func (d *Daemon) setDriveJob(n int, id string) {
	d.mu.Lock()
	d.driveJob[n] = id
	busy := false
	for _, x := range d.driveJob {
		busy = busy || x != ""
	}
	d.mu.Unlock()
	if d.panel != nil {
		d.panel.SetBusy(busy)
	}
	d.notifier.Status(d.statusLine())
}

// run steps a job until it ends or the daemon stops.
func (d *Daemon) run(ctx context.Context, n int, j job.Job) {
	log := d.log.With("job", j.ID, "drive", n)
	lastErr := ""
	// A job handed back to the queue (Drive -1) is no longer this drive's.
	for ctx.Err() == nil && !j.State.Terminal() && j.Drive == n {
		step := d.step
		if d.driveFailure(n) != nil {
			step = d.leave
		}
		next, err := step(ctx, n, j)
		if err != nil {
			if ctx.Err() != nil {
				return // shutting down: the journal says where we were
			}
			if d.noteFault(ctx, n, err) {
				// The drive failed: the next pass moves the job off it.
				if fresh, gerr := d.store.Get(ctx, j.ID); gerr == nil {
					j = fresh
				}
				continue
			}
			// Say it once at warning level, then quietly while it lasts.
			if err.Error() != lastErr {
				log.Warn("job held; will retry", "state", j.State, "err", err)
				lastErr = err.Error()
			} else {
				log.Debug("job still held", "state", j.State, "err", err)
			}
			d.waiting(j.ID, err)
			if !sleep(ctx, d.deps.Retry) {
				return
			}
			if fresh, gerr := d.store.Get(ctx, j.ID); gerr == nil {
				next = fresh
			} else {
				next = j
			}
		}
		if err == nil {
			d.waiting(j.ID, nil)
			lastErr = ""
		}
		j = next
	}
	if j.State.Terminal() {
		d.keys.Drop(j.ID)
		d.ungate(j.ID)
		d.clearProgress(j.ID)
		d.loadFailed(j.ID, nil)
		log.Info("job finished", "state", j.State, "attempts", j.Attempt, "reason", j.Reason)
	}
}

// waiting records (or, with nil, clears) why a job is held.
func (d *Daemon) waiting(id string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pr := d.progress[id]
	if err == nil {
		if pr != nil {
			pr.Waiting = ""
		}
		return
	}
	if pr == nil {
		pr = &api.Progress{Phase: "waiting"}
		d.progress[id] = pr
	}
	pr.Waiting = err.Error()
}

// move journals a transition, then lets the crash hook run.
func (d *Daemon) move(ctx context.Context, j job.Job, to job.State, note string, update func(*job.Job)) (job.Job, error) {
	n, err := d.store.Transition(ctx, j.ID, j.State, to, note, update)
	if err != nil {
		return j, err
	}
	d.metrics.Transitions.WithLabelValues(string(to)).Inc()
	d.refreshMetrics(ctx)
	d.log.Info("job state", "job", j.ID, "from", j.State, "to", to, "note", note)
	if d.deps.AfterTransition != nil {
		d.deps.AfterTransition(n)
	}
	return n, nil
}

// stepFunc does the work of one state and moves the job on.
type stepFunc func(d *Daemon, ctx context.Context, n int, j job.Job) (job.Job, error)

// steps is the work done in each state; the legal moves out of each are
// job's table (job.Next). TestStepTable checks every state that is not
// terminal has its step, and the crash test walks job's table.
var steps = map[job.State]stepFunc{
	job.Queued:      (*Daemon).stepQueued,
	job.MediaCheck:  (*Daemon).mediaCheck,
	job.Authorising: func(d *Daemon, ctx context.Context, _ int, j job.Job) (job.Job, error) { return d.authorise(ctx, j) },
	job.Authorised:  (*Daemon).stepAuthorised,
	// Nothing runs a pipeline outside burn, so a job seen in writing,
	// verifying or finalising was interrupted (see resume.go).
	job.Writing:    (*Daemon).resumeWriting,
	job.Verifying:  (*Daemon).resumeVerifying,
	job.Finalising: (*Daemon).resumeFinalising,
	job.Reporting:  (*Daemon).report,
	job.Spoiled:    (*Daemon).retry,
}

// step does the work of the job's current state and moves it on.
func (d *Daemon) step(ctx context.Context, n int, j job.Job) (job.Job, error) {
	fn, ok := steps[j.State]
	if !ok {
		return j, fmt.Errorf("stationd: job %s: %w: %s", j.ID, job.ErrUnknownState, j.State)
	}
	return fn(d, ctx, n, j)
}

func (d *Daemon) stepQueued(ctx context.Context, _ int, j job.Job) (job.Job, error) {
	if j.Cancel {
		return d.move(ctx, j, job.Failed, "cancelled", func(x *job.Job) { x.Reason = "cancelled before a blank was loaded" })
	}
	if err := d.gate(ctx, j.ID); err != nil {
		return j, err
	}
	return d.move(ctx, j, job.MediaCheck, "", func(x *job.Job) { x.Attempt = max(x.Attempt, 1) })
}

func (d *Daemon) stepAuthorised(ctx context.Context, n int, j job.Job) (job.Job, error) {
	if j.Cancel {
		return d.move(ctx, j, job.Spoiled, "cancelled", func(x *job.Job) { x.Reason = "cancelled" })
	}
	if d.keys.Get(j.ID) == nil {
		// Keys live in memory only: after a restart or a tamper, ask
		// again by job ID (the ledger returns the same spend), for the
		// same blank only.
		if changed, err := d.mediaChanged(ctx, n, j, !j.Resume); err != nil || changed {
			if err != nil {
				return j, err
			}
			return d.move(ctx, j, job.Spoiled, "blank changed", func(x *job.Job) { x.Reason = errBlankChanged.Error() })
		}
		next, err := d.authorise(ctx, j)
		if err != nil || next.State != job.Authorised {
			return next, err
		}
	}
	return d.burn(ctx, n, j)
}

func (d *Daemon) mayStart(ctx context.Context) error {
	if d.isTampered() {
		return kiosk.ErrTampered
	}
	if d.panel == nil {
		return nil
	}
	return d.panel.MayStartJob()
}

func (d *Daemon) mediaCheck(ctx context.Context, n int, j job.Job) (job.Job, error) {
	if j.Cancel {
		return d.move(ctx, j, job.Failed, "cancelled", func(x *job.Job) { x.Reason = "cancelled" })
	}
	if err := d.gate(ctx, j.ID); err != nil {
		return j, err
	}
	m, err := d.blank(ctx, n, j)
	if err != nil {
		if errors.Is(err, ErrNoBlank) || errors.Is(err, ErrNoMediaID) || errors.Is(err, ErrNoUsableBlank) {
			return d.move(ctx, j, job.Failed, "no blank", func(x *job.Job) { x.Reason = err.Error() })
		}
		return j, err
	}
	if pc, ok := d.pipeline.(PackageChecker); ok && j.Attempt <= 1 {
		// Before the spend (a retry has spent already): a package that
		// cannot make this copy costs no token, and the untouched blank
		// stays for the next job.
		if err := pc.CheckPackage(ctx, j.TitleID, m); err != nil {
			d.log.Error("title package check failed; the token is not spent", "job", j.ID, "err", err)
			return d.move(ctx, j, job.Failed, "title package", func(x *job.Job) { x.Reason, x.Code = err.Error(), packageCode(err) })
		}
	}
	return d.move(ctx, j, job.Authorising, "", func(x *job.Job) {
		x.MediaID, x.Profile = m.MediaID, m.Profile
	})
}

// moveDisc runs a robot move for drive n under the shared robot lock, once
// the door is closed. The wait for the lock, the robot busy with other
// drives, counts in stationd_robot_wait_seconds_total.
func (d *Daemon) moveDisc(ctx context.Context, n int, fn func() error) error {
	held := false
	defer func() {
		if held {
			d.mu.Lock()
			d.movesHeld--
			d.mu.Unlock()
		}
	}()
	for d.panel != nil {
		err := d.panel.MayMoveDisc()
		if err == nil {
			break
		}
		if !held {
			held = true
			d.mu.Lock()
			d.movesHeld++
			d.mu.Unlock()
			d.log.Warn("disc move held", "why", err)
		}
		if !sleep(ctx, d.deps.Retry) {
			return ctx.Err()
		}
	}
	t0 := time.Now()
	d.robotMu.Lock()
	defer d.robotMu.Unlock()
	d.metrics.RobotWait.WithLabelValues(strconv.Itoa(n)).Add(time.Since(t0).Seconds())
	return fn()
}

// unload takes the disc out of drive n. A drive out of service keeps its
// disc (the robot reaches it only through a tray the drive opens): it is
// recorded for a person to take out, and the job goes on without it.
func (d *Daemon) unload(ctx context.Context, n int, good bool, j job.Job) error {
	if d.driveFailure(n) != nil {
		what := fmt.Sprintf("the spoiled disc of job %s (attempt %d, media %x)", j.ID, j.Attempt, j.MediaID)
		if good {
			what = fmt.Sprintf("the made copy of job %s (media %x): give it to its owner", j.ID, j.MediaID)
		}
		d.leftDisc(n, what)
		return nil
	}
	if d.robot == nil {
		return nil
	}
	m, err := d.drives[n].MediaInfo(ctx)
	if err != nil {
		return fmt.Errorf("unload: %w", err)
	}
	if !m.Present {
		return nil
	}
	if err := d.moveDisc(ctx, n, func() error { return d.robot.Unload(ctx, n, good) }); err != nil {
		return fmt.Errorf("robot: unload drive %d: %w", n, err)
	}
	return nil
}

var errBlankChanged = errors.New("the disc in the drive is not the one this job was writing (it changed while the station was down)")

// mediaChanged reports whether drive n no longer holds the job's disc (or,
// with wantBlank, holds it written).
func (d *Daemon) mediaChanged(ctx context.Context, n int, j job.Job, wantBlank bool) (bool, error) {
	m, err := d.drives[n].MediaInfo(ctx)
	if err != nil {
		return false, fmt.Errorf("media check: %w", err)
	}
	return !m.Present || string(m.MediaID) != string(j.MediaID) || (wantBlank && !m.Blank), nil
}

// packageCode is the stable code a failed package check leaves on the job.
func packageCode(err error) string {
	switch {
	case errors.Is(err, ErrNoRoom):
		return "no_room"
	case errors.Is(err, ErrWrongMedia):
		return "wrong_media"
	}
	return "title_package"
}

func sleep(ctx context.Context, t time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(t):
		return true
	}
}

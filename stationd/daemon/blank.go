package daemon

import (
	"context"
	"errors"
	"fmt"

	"copystation/robot"
	"copystation/stationd/job"
)

// maxLoadFailures bounds the robot loads in a row that give the job no
// usable blank (a move refused, or a disc that is not blank); each one
// may cost a blank from the bin.
const maxLoadFailures = 3

// blank makes sure drive n holds a blank and returns it: a blank already
// there is used (a restart may find one loaded); a written disc is rejected.
// It fails with ErrNoMediaID for a blank the drive gives no media ID for,
// ErrNoUsableBlank after maxLoadFailures robot loads in a row came to
// nothing, and ErrNoBlank once BlankWait has passed since the job's last
// transition (or the daemon's start).
func (d *Daemon) blank(ctx context.Context, n int, j job.Job) (Media, error) {
	// The wait counts from the job's last transition, or from this
	// daemon's start if later: a station that was down does not fail its
	// jobs before it has tried.
	since := j.Updated
	if d.startedAt.After(since) {
		since = d.startedAt
	}
	deadline := since.Add(d.deps.BlankWait)
	for {
		m, err := d.drives[n].MediaInfo(ctx)
		if err != nil {
			return Media{}, fmt.Errorf("media check: %w", err)
		}
		if m.Present && m.Blank && len(m.MediaID) > 0 {
			d.loadFailed(j.ID, nil)
			return m, nil
		}
		if m.Present && m.Blank {
			return Media{}, fmt.Errorf("media check: drive %s: %w: %w", d.drives[n].Name(), ErrNoMediaID, m.MediaIDErr)
		}
		if d.now().After(deadline) {
			return Media{}, fmt.Errorf("%w: drive %s held no blank BD-R for %v (insert one and burn again)", ErrNoBlank, d.drives[n].Name(), d.deps.BlankWait)
		}
		if d.robot == nil {
			// The run loop retries and shows this to whoever watches the job.
			return Media{}, fmt.Errorf("insert a blank disc in drive %s", d.drives[n].Name())
		}
		if m.Present {
			if err := d.unload(ctx, n, false, j); err != nil {
				return Media{}, err
			}
		}
		if err := d.moveDisc(ctx, n, func() error { return d.robot.LoadBlank(ctx, n) }); err != nil {
			err = fmt.Errorf("robot: load a blank into drive %d: %w", n, err)
			if waitsForOperator(err) || ctx.Err() != nil {
				return Media{}, err // held until someone fixes the robot, or stopping
			}
			return Media{}, d.loadFailed(j.ID, err)
		}
		if err := d.loadFailed(j.ID, errNotBlankYet); errors.Is(err, ErrNoUsableBlank) {
			return Media{}, err
		}
	}
}

// waitsForOperator reports robot errors that cost no blank and that only a
// person can end (an empty input bin, a full output bin, a jam): the job
// is held and says why, rather than failed.
func waitsForOperator(err error) bool {
	return errors.Is(err, robot.ErrInputEmpty) || errors.Is(err, robot.ErrBinFull) || errors.Is(err, robot.ErrJam)
}

// errNotBlankYet counts a load as a failure until the drive shows the
// blank; a usable blank clears the count.
var errNotBlankYet = errors.New("the drive showed no usable blank after a load")

// loadFailed counts the job's robot loads in a row that gave no usable
// blank (nil: one did, start again). It returns err, or ErrNoUsableBlank
// wrapping it once there have been maxLoadFailures.
func (d *Daemon) loadFailed(id string, err error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		delete(d.loadFails, id)
		return nil
	}
	d.loadFails[id]++
	if d.loadFails[id] >= maxLoadFailures {
		delete(d.loadFails, id)
		return fmt.Errorf("%w: %d loads in a row into the drive gave no usable blank; the last: %w", ErrNoUsableBlank, maxLoadFailures, err)
	}
	return err
}

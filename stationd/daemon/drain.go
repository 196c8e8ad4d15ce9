package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"copystation/stationd/api"
	"copystation/stationd/job"
)

// ErrDraining refuses a new copy while the station drains for a software
// update: the jobs already burning finish, and nothing new starts until the
// updated daemon runs (or the drain is cancelled).
var ErrDraining = errors.New("the station is being updated: it starts no new copy until the update is done; wait a few minutes and ask again (your token has not been used)")

// drain is the update drain, in memory only: a restarted daemon admits
// jobs again, so a drain left behind by a failed update never holds the
// station shut.
type drain struct {
	on bool
	// gated holds the jobs refused at the admission gate (gate): each is
	// waiting to load a blank and holds no disc in progress, so a restart
	// interrupts nothing of it; the journal keeps it for the next daemon.
	gated map[string]bool
}

// SetDraining starts (on) or cancels the drain for an update.
func (d *Daemon) SetDraining(on bool) {
	d.mu.Lock()
	changed := d.drain.on != on
	d.drain.on = on
	d.mu.Unlock()
	if !changed {
		return
	}
	v := 0.0
	if on {
		v = 1
		d.log.Info("draining for an update: no new copy starts; running jobs finish")
	} else {
		d.log.Info("drain cancelled: copies start again")
		d.wakeAll()
	}
	d.metrics.Draining.Set(v)
	d.notifier.Status(d.statusLine())
}

// draining reports whether the station drains for an update.
func (d *Daemon) draining() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.drain.on
}

// gate is the admission check a job passes before the robot loads a blank
// for it (a new job, or a retry on a new blank): the kiosk's door and
// tamper alarm (mayStart), then the drain. A job refused here is
// recorded as gated until it passes; DrainStatus counts it as idle.
func (d *Daemon) gate(ctx context.Context, id string) error {
	err := d.mayStart(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && d.drain.on {
		err = fmt.Errorf("stationd: start a copy: %w", ErrDraining)
	}
	if d.drain.gated == nil {
		d.drain.gated = map[string]bool{}
	}
	if err != nil {
		d.drain.gated[id] = true
	} else {
		delete(d.drain.gated, id)
	}
	return err
}

// ungate forgets a job that ended.
func (d *Daemon) ungate(id string) {
	d.mu.Lock()
	delete(d.drain.gated, id)
	d.mu.Unlock()
}

// DrainStatus says whether the station drains and which jobs an update
// must still wait for: every unfinished job past the admission gate (its
// blank loaded, spent on, written, verified, finalised or reported). A job
// waiting to start (queued, or held at the gate) does not count: it holds
// no disc in progress, and the journal keeps it for the next daemon.
func (d *Daemon) DrainStatus(ctx context.Context) (*api.DrainStatus, error) {
	jobs, err := d.store.Active(ctx)
	if err != nil {
		return nil, fmt.Errorf("stationd: drain status: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := &api.DrainStatus{Draining: d.drain.on, Busy: []string{}}
	for _, j := range jobs {
		waiting := j.Drive < 0 && (j.State == job.Queued || j.State == job.MediaCheck)
		if j.State.Terminal() || waiting || d.drain.gated[j.ID] {
			continue
		}
		s.Busy = append(s.Busy, j.ID)
	}
	s.Idle = s.Draining && len(s.Busy) == 0
	return s, nil
}

func (d *Daemon) getDrain(w http.ResponseWriter, r *http.Request) {
	s, err := d.DrainStatus(r.Context())
	if err != nil {
		replyErr(w, http.StatusInternalServerError, "journal", err)
		return
	}
	reply(w, http.StatusOK, s)
}

func (d *Daemon) postDrain(w http.ResponseWriter, r *http.Request) {
	var b api.DrainRequest
	if err := decode(r, &b); err != nil {
		replyErr(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	d.SetDraining(!b.Cancel)
	d.getDrain(w, r)
}

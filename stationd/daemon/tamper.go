package daemon

import (
	"context"
	"time"

	"copystation/keys"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
)

// tamperWait bounds how long a tamper waits for running pipelines to stop
// before it wipes the keys anyway: a pipeline stops at its next drive
// command once cancelled, and a drive command times out well within this.
const tamperWait = 2 * time.Minute

// pipelineRun is one running pipeline (a burn, or a disc verified again
// after a restart): how to stop it and when it has stopped.
type pipelineRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// addCancel registers a job's running pipeline so a tamper or a cancel
// can stop it. It reports false, and nothing may run, once the tamper
// alarm is latched.
func (d *Daemon) addCancel(id string, cancel context.CancelFunc) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tampered {
		return false
	}
	d.cancels[id] = &pipelineRun{cancel: cancel, done: make(chan struct{})}
	return true
}

// dropCancel says a job's pipeline has returned: it no longer touches its
// keys or the drive.
func (d *Daemon) dropCancel(id string) {
	d.mu.Lock()
	r := d.cancels[id]
	delete(d.cancels, id)
	d.mu.Unlock()
	if r != nil {
		close(r.done)
	}
}

// stopPipeline stops a job's running pipeline, if any.
func (d *Daemon) stopPipeline(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.cancels[id]; r != nil {
		r.cancel()
	}
}

// putKeys holds a job's keys unless the tamper alarm is latched, in which
// case it wipes them and returns kiosk.ErrTampered: keys released while a
// tamper was wiping would otherwise outlive the wipe.
func (d *Daemon) putKeys(id string, k *keys.CopyKeys) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tampered {
		k.Wipe()
		return kiosk.ErrTampered
	}
	d.keys.Put(id, k)
	return nil
}

// isTampered reports the daemon's tamper latch.
func (d *Daemon) isTampered() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tampered
}

// onTamper latches the alarm, stops every pipeline, waits until each has
// returned, and only then wipes every key in memory: a pipeline never
// reads a key being wiped. The latch is journaled, so a power cycle does
// not forget it; only an operator's clear (clearTamper) ends it.
func (d *Daemon) onTamper() {
	d.log.Error("tamper switch tripped: stopping burns, then wiping copy keys")
	d.mu.Lock()
	d.tampered = true
	runs := make([]*pipelineRun, 0, len(d.cancels))
	for _, r := range d.cancels {
		runs = append(runs, r)
		r.cancel()
	}
	d.mu.Unlock()
	if err := d.store.SetFlag(context.Background(), journal.FlagTamper, true); err != nil {
		d.log.Error("cannot journal the tamper alarm: it holds until this daemon stops, not across a restart; check the state directory's disk", "err", err)
	}
	timeout := time.NewTimer(tamperWait)
	defer timeout.Stop()
wait:
	for _, r := range runs {
		select {
		case <-r.done:
		case <-timeout.C:
			d.log.Error("a burn did not stop after a tamper; wiping the keys anyway", "wait", tamperWait)
			break wait
		}
	}
	d.keys.WipeAll()
}

// loadTamper restores a tamper latch journaled before a restart: jobs stay
// refused, and the panel shows the alarm, until an operator clears it.
func (d *Daemon) loadTamper(ctx context.Context) error {
	on, err := d.store.Flag(ctx, journal.FlagTamper)
	if err != nil || !on {
		return err
	}
	d.mu.Lock()
	d.tampered = true
	d.mu.Unlock()
	if d.panel != nil {
		d.panel.Latch()
	}
	d.log.Error("the tamper alarm was latched before this start: jobs are refused until an operator clears it (stationd tamper-clear --code CODE)")
	return nil
}

// clearTamperLatch ends the daemon's latch once the panel has cleared.
func (d *Daemon) clearTamperLatch(ctx context.Context) error {
	if err := d.store.SetFlag(ctx, journal.FlagTamper, false); err != nil {
		return err
	}
	d.mu.Lock()
	d.tampered = false
	d.mu.Unlock()
	return nil
}

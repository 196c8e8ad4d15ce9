package daemon

import (
	"context"
	"path/filepath"

	"copystation/burn/titlepkg"
	"copystation/drive"
	"errors"
	"fmt"
	"strconv"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/kiosk"
)

// authorise asks the ledger for the spend and the keys. From Authorising it
// moves the job on; from Authorised (keys lost in a restart) it only
// refills the key ring.
func (d *Daemon) authorise(ctx context.Context, j job.Job) (job.Job, error) {
	// The manifest names the share roots of a dealt title; a package the
	// station cannot read here was refused before the spend, and after it
	// the copy gets no keys (every node's round 2 is its title shares, which
	// only the manifest's roots combine).
	m, _ := titlepkg.ReadManifest(filepath.Join(d.cfg.TitlesDir, titlepkg.FileName(j.TitleID)))
	t0 := time.Now()
	a, err := d.ledger.Authorize(ctx, AuthRequest{JobID: j.ID, Attempt: j.Attempt, TokenID: j.TokenID,
		TitleID: j.TitleID, Profile: j.Profile, MediaID: j.MediaID, Grant: j.Grant, PrevReport: j.PrevReport, Manifest: m})
	d.metrics.NodeLatency.WithLabelValues("authorize").Observe(time.Since(t0).Seconds())
	var ref *Refusal
	if errors.As(err, &ref) {
		if j.State == job.Authorising {
			return d.move(ctx, j, job.Failed, "refused", func(x *job.Job) { x.Reason, x.Code = ref.Message, ref.Code })
		}
		return d.move(ctx, j, job.Spoiled, "refused on re-authorisation", func(x *job.Job) { x.Reason, x.Code = ref.Message, ref.Code })
	}
	if err != nil {
		return j, fmt.Errorf("authorise: %w", err)
	}
	if a.Keys == nil {
		return j, errors.New("authorise: the ledger granted the copy but released no keys")
	}
	if err := d.putKeys(j.ID, a.Keys); err != nil {
		return j, fmt.Errorf("authorise: %w", err)
	}
	if j.State != job.Authorising {
		return j, nil
	}
	return d.move(ctx, j, job.Authorised, "", func(x *job.Job) { x.Receipt, x.CopyID = a.Receipt, a.CopyID })
}

// burn runs the pipeline, journaling each phase as the pipeline enters it.
func (d *Daemon) burn(ctx context.Context, n int, j job.Job) (job.Job, error) {
	k := d.keys.Get(j.ID)
	if k == nil {
		return j, errors.New("burn: copy keys were wiped")
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !d.addCancel(j.ID, cancel) {
		return j, kiosk.ErrTampered
	}
	cur, err := d.move(ctx, j, job.Writing, "", nil)
	if err != nil {
		d.dropCancel(j.ID)
		return j, err
	}
	progress := func(p Progress) error {
		d.track(j.ID, n, p)
		var to job.State
		switch {
		case p.Phase == PhaseVerifying && cur.State == job.Writing:
			to = job.Verifying
		case p.Phase == PhaseFinalising && cur.State == job.Verifying:
			to = job.Finalising
		default:
			return nil
		}
		next, err := d.move(ctx, cur, to, "", func(x *job.Job) {
			if len(p.DiscDigest) > 0 {
				x.DiscDigest = p.DiscDigest
			}
		})
		if err != nil {
			return err
		}
		cur = next
		return nil
	}
	m := Media{Present: true, Blank: !j.Resume, Profile: j.Profile, MediaID: j.MediaID}
	hash, err := d.pipeline.Copy(pctx, d.drives[n], CopyJob{JobID: j.ID, CopyID: j.CopyID, TitleID: j.TitleID, Media: m, Keys: k, Resume: j.Resume}, progress)
	d.dropCancel(j.ID) // the pipeline no longer reads the keys: a tamper may wipe them
	d.clearProgress(j.ID)
	if err != nil {
		if ctx.Err() != nil {
			return cur, ctx.Err() // daemon stopping; the restart resumes the write
		}
		if fresh, gerr := d.store.Get(ctx, j.ID); gerr == nil && fresh.Cancel {
			err = fmt.Errorf("cancelled: %w", err)
		}
		var se *drive.SenseError
		if errors.As(err, &se) {
			d.metrics.SenseErrors.WithLabelValues(strconv.Itoa(n), string(cur.State)).Inc()
		}
		return d.spoil(ctx, n, cur, err)
	}
	for _, to := range []job.State{job.Verifying, job.Finalising} {
		if cur.State == job.Writing || (cur.State == job.Verifying && to == job.Finalising) {
			if cur, err = d.move(ctx, cur, to, "pipeline did not announce the phase", nil); err != nil {
				return cur, err
			}
		}
	}
	return d.move(ctx, cur, job.Reporting, "", func(x *job.Job) { x.DiscDigest = hash })
}

// spoil records the job's disc as spoiled; a cause that says the drive
// itself failed takes the drive out of service first, so the retry leaves
// the disc in it and hands the job to another drive.
func (d *Daemon) spoil(ctx context.Context, n int, j job.Job, cause error) (job.Job, error) {
	d.noteFault(ctx, n, cause)
	d.log.Warn("disc spoiled", "job", j.ID, "drive", n, "state", j.State, "err", cause)
	return d.move(ctx, j, job.Spoiled, string(j.State), func(x *job.Job) {
		x.Reason, x.NoRetry = cause.Error(), errors.Is(cause, ErrNoRetry)
	})
}

// retry reports a spoiled blank, rejects it, and starts the next attempt
// under the same spend, or fails the job when attempts run out.
func (d *Daemon) retry(ctx context.Context, n int, j job.Job) (job.Job, error) {
	prev, err := d.reportOutcome(ctx, Outcome{JobID: j.ID, Attempt: j.Attempt, MediaID: j.MediaID, Reason: j.Reason})
	if err != nil {
		return j, err
	}
	if err := d.unload(ctx, n, false, j); err != nil {
		return j, err
	}
	d.keys.Drop(j.ID)
	if j.Cancel || j.NoRetry || j.Attempt >= d.cfg.MaxAttempts {
		why := fmt.Sprintf("spoiled %d blank(s): %s", j.Attempt, j.Reason)
		if j.Cancel {
			why = "cancelled after the spend; the spoiled blank is on the ledger"
		}
		return d.move(ctx, j, job.Failed, "no retry", func(x *job.Job) { x.Reason = why })
	}
	if err := d.gate(ctx, j.ID); err != nil {
		return j, err
	}
	note, failed := "retry on a new blank", d.driveFailure(n) != nil
	if failed {
		note = fmt.Sprintf("retry on a new blank in another drive (drive %d failed)", n)
	}
	next, err := d.move(ctx, j, job.MediaCheck, note, func(x *job.Job) {
		x.Attempt++
		x.MediaID, x.DiscDigest, x.Profile, x.PrevReport, x.Resume = nil, nil, 0, prev, false
		if failed {
			x.Drive = -1 // back to the queue: any drive in service takes it
		}
	})
	if err == nil && failed {
		d.wakeAll()
	}
	return next, err
}

// report records the copy as made, puts the disc in the output bin and ends
// the job.
func (d *Daemon) report(ctx context.Context, n int, j job.Job) (job.Job, error) {
	if _, err := d.reportOutcome(ctx, Outcome{JobID: j.ID, Attempt: j.Attempt, MediaID: j.MediaID, Made: true, DiscDigest: j.DiscDigest}); err != nil {
		return j, err
	}
	if err := d.unload(ctx, n, true, j); err != nil {
		return j, err
	}
	d.keys.Drop(j.ID)
	return d.move(ctx, j, job.Done, "", nil)
}

func (d *Daemon) reportOutcome(ctx context.Context, o Outcome) ([]byte, error) {
	t0 := time.Now()
	digest, err := d.ledger.Report(ctx, o)
	d.metrics.NodeLatency.WithLabelValues("report").Observe(time.Since(t0).Seconds())
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return digest, nil
}

// track keeps a job's live progress for the API and metrics.
func (d *Daemon) track(id string, n int, p Progress) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	pr := d.progress[id]
	step := p.Step
	if step == "" {
		step = string(p.Phase)
	}
	if pr == nil || pr.Phase != step {
		pr = &api.Progress{Phase: step}
		d.progress[id] = pr
		d.started[id] = now
	}
	if p.Phase == PhaseWriting && p.Done > pr.Done {
		d.metrics.BytesWritten.Add(float64(p.Done - pr.Done))
	}
	pr.Done, pr.Total = p.Done, p.Total
	if el := now.Sub(d.started[id]).Seconds(); el > 0 {
		pr.BytesPerSec = float64(p.Done) / el
		if pr.BytesPerSec > 0 {
			pr.ETA = time.Duration(float64(p.Total-p.Done) / pr.BytesPerSec * float64(time.Second))
		}
	}
	if p.Phase == PhaseWriting {
		d.metrics.WriteRate.WithLabelValues(strconv.Itoa(n)).Set(pr.BytesPerSec)
	}
}

func (d *Daemon) clearProgress(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.progress, id)
	delete(d.started, id)
}

package daemon

import (
	"context"
	"errors"
	"fmt"

	"copystation/stationd/job"
	"copystation/stationd/kiosk"
)

// A daemon that dies during a burn finds the job, after its restart, in the
// state it had journaled. What the disc in the drive still allows decides
// what it costs:
//
//   - writing, the blank untouched (the daemon died before a sector
//     reached it, or the drive lost its unsynced cache): back to authorised,
//     and the same blank is written;
//   - writing, the disc written to: a sequential BD-R whose only track is
//     still open continues at its next writable address (burn.Job.Resume:
//     the copy is computed again, only the sectors from there are sent, and
//     the verify reads all of them back); anything else is spoiled;
//   - verifying: every sector was written and synced, so the disc is
//     verified again from what is on it (burn.VerifyDisc) and finished;
//     only a disc that fails is spoiled;
//   - finalising: the disc was verified, so it is finalised again.

// resumeWriting handles a job found in Writing: the pipeline is not
// running, so the write was cut off.
func (d *Daemon) resumeWriting(ctx context.Context, n int, j job.Job) (job.Job, error) {
	m, err := d.drives[n].MediaInfo(ctx)
	if err != nil {
		return j, fmt.Errorf("media check: %w", err)
	}
	switch {
	case !m.Present || string(m.MediaID) != string(j.MediaID):
		return d.move(ctx, j, job.Spoiled, "disc changed", func(x *job.Job) { x.Reason = errBlankChanged.Error() })
	case m.Blank:
		return d.move(ctx, j, job.Authorised, "resume: the blank is untouched", nil)
	case m.Resumable:
		if r, ok := d.pipeline.(Resumer); ok && r.ResumesWrites() {
			return d.move(ctx, j, job.Authorised, "resume: continue writing at the next writable address", func(x *job.Job) { x.Resume = true })
		}
	}
	return d.move(ctx, j, job.Spoiled, "interrupted", func(x *job.Job) { x.Reason = ErrInterrupted.Error() })
}

// resumeVerifying handles a job found in Verifying: the disc was written
// and synced; check it again, and go on to finalise it if it passes.
func (d *Daemon) resumeVerifying(ctx context.Context, n int, j job.Job) (job.Job, error) {
	v, ok := d.pipeline.(Verifier)
	if !ok {
		return d.move(ctx, j, job.Spoiled, "interrupted", func(x *job.Job) { x.Reason = ErrInterrupted.Error() })
	}
	if changed, err := d.mediaChanged(ctx, n, j, false); err != nil || changed {
		if err != nil {
			return j, err
		}
		return d.move(ctx, j, job.Spoiled, "disc changed", func(x *job.Job) { x.Reason = errBlankChanged.Error() })
	}
	if d.keys.Get(j.ID) == nil {
		// Keys live in memory only: ask again by job ID, as for a burn.
		next, err := d.authorise(ctx, j)
		if err != nil || next.State != job.Verifying {
			return next, err
		}
	}
	k := d.keys.Get(j.ID)
	if k == nil {
		return j, errors.New("verify: copy keys were wiped")
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !d.addCancel(j.ID, cancel) {
		return j, kiosk.ErrTampered
	}
	m := Media{Present: true, Profile: j.Profile, MediaID: j.MediaID}
	hash, err := v.Verify(pctx, d.drives[n], CopyJob{JobID: j.ID, CopyID: j.CopyID, TitleID: j.TitleID, Media: m, Keys: k},
		func(p Progress) error { d.track(j.ID, n, p); return nil })
	d.dropCancel(j.ID)
	d.clearProgress(j.ID)
	if err != nil {
		if ctx.Err() != nil {
			return j, ctx.Err()
		}
		return d.spoil(ctx, n, j, fmt.Errorf("verify again after a restart: %w", err))
	}
	d.log.Info("disc verified again after a restart", "job", j.ID, "drive", n)
	return d.move(ctx, j, job.Finalising, "resume: verified again", func(x *job.Job) { x.DiscDigest = hash })
}

// resumeFinalising handles a job found in Finalising: the disc was
// verified, so it is finalised again (a no-op on a disc already closed).
func (d *Daemon) resumeFinalising(ctx context.Context, n int, j job.Job) (job.Job, error) {
	if changed, err := d.mediaChanged(ctx, n, j, false); err != nil || changed {
		if err != nil {
			return j, err
		}
		return d.move(ctx, j, job.Spoiled, "disc changed", func(x *job.Job) { x.Reason = errBlankChanged.Error() })
	}
	if len(j.DiscDigest) == 0 {
		// The disc was verified before the restart; its hash is read
		// back from it, or the copy cannot be reported made.
		dh, ok := d.drives[n].(discDigester)
		if !ok {
			return d.move(ctx, j, job.Spoiled, "interrupted", func(x *job.Job) { x.Reason = ErrInterrupted.Error() })
		}
		h, err := dh.DiscDigest(ctx, j.CopyID, j.MediaID)
		if err != nil {
			return d.spoil(ctx, n, j, err)
		}
		if j, err = d.store.Update(ctx, j.ID, func(x *job.Job) { x.DiscDigest = h }); err != nil {
			return j, err
		}
	}
	if err := d.drives[n].Finalize(ctx); err != nil {
		return d.spoil(ctx, n, j, fmt.Errorf("finalise: %w", err))
	}
	return d.move(ctx, j, job.Reporting, "", nil)
}

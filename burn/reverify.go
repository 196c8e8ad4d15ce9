package burn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"copystation/burn/disc"
)

// VerifyDisc checks a copy already on the disc in d, for a station that
// died after the write (while verifying or finalising): it does the
// verify phase of Copy again without the write's memory of what it sent.
// The header region is read back; its first sector must open under the
// job's disc key and name the job's copy, media, title package, key block
// and codeword, and the layout must be the one Copy lays out for the
// package from LBA 0 (a copy is the only thing on its disc); the rest of
// the region must be zeros. Every image cluster must then match its tag in
// the integrity table read from the disc. A cluster can only match under
// the disc key, which never left the station, so a disc that passes holds
// the sectors the write sent. It returns the same Result (DiscDigest
// included) Copy returned, or an *Error with Spoiled set.
func VerifyDisc(ctx context.Context, d Reader, job Job) (*Result, error) {
	return verifyDisc(ctx, driveDevice{r: d}, job)
}

func verifyDisc(ctx context.Context, dev device, job Job) (*Result, error) {
	c := &copier{job: job, dev: dev, pipe: newPipe(), m: meter{clock: job.Clock, fn: job.Progress}}
	res, err := c.reverify(ctx)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Phase: PhaseVerify, Err: err}
		}
		e.Spoiled = true // written, whatever the outcome
		return nil, e
	}
	return res, nil
}

func (c *copier) reverify(ctx context.Context) (*Result, error) {
	if err := c.checkJob(); err != nil {
		return nil, err
	}
	md, err := c.dev.media(ctx)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(md.MediaID, c.job.MediaID) {
		return nil, fmt.Errorf("%w: the drive reports media ID %x, the keys are for %x", ErrWrongDisc, md.MediaID, c.job.MediaID)
	}
	h, err := readHeader(ctx, c.dev, PhaseVerify, 0)
	if err == nil {
		err = c.checkHeader(h)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{Phase: PhaseVerify, LBA: 0, HasLBA: true, Err: fmt.Errorf("%w: %w", ErrVerify, err)}
	}
	c.layout = h.Layout
	if c.header, err = h.Seal(c.job.Keys.DiscKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJob, err)
	}
	c.table = make([]byte, int(c.layout.TableSectors)*disc.SectorSize)
	for off := 0; off < len(c.table); off += disc.ClusterSize {
		lba := c.layout.TableLBA() + uint32(off/disc.SectorSize)
		if err := c.dev.read(ctx, lba, c.table[off:off+disc.ClusterSize]); err != nil {
			return nil, lbaError(PhaseVerify, lba, err)
		}
	}
	if err := c.m.begin(PhaseVerify, int64(c.layout.HeaderSectors+c.layout.ImageSectors)*disc.SectorSize); err != nil {
		return nil, &Error{Phase: PhaseVerify, Err: err}
	}
	var done int64
	if err := c.compare(ctx, c.layout.StartLBA, c.header, &done); err != nil {
		return nil, err
	}
	if err := c.verifyImage(ctx, &done); err != nil {
		return nil, err
	}
	res := &Result{Layout: c.layout, Codeword: bytes.Clone(c.job.Keys.Codeword)}
	sum := sha256.New()
	sum.Write(c.header[:disc.SectorSize])
	sum.Write(c.table)
	sum.Sum(res.DiscDigest[:0])
	return res, nil
}

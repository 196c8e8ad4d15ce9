package burn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"copystation/burn/disc"
	"copystation/burn/sector"
	"copystation/burn/titlepkg"
	"copystation/keys"
)

// Job is one copy.
type Job struct {
	// Package is the title package, opened with the job's package key.
	Package *titlepkg.Package
	// Keys are the copy keys the validation node released for this copy.
	Keys *keys.CopyKeys
	// CopyID names the copy on the ledger (the job ID the disc key and the
	// key block are bound to).
	CopyID string
	// MediaID is the blank the keys were released for; the drive must
	// report the same.
	MediaID []byte
	// Progress, if set, is called synchronously with progress events and
	// before each phase starts; an error from it stops the copy.
	Progress func(Progress) error
	// Clock times the progress events (rate, ETA). Nil reports no rate.
	Clock Clock
	// Players makes the disc key block (not needed to resume or verify:
	// the disc holds the block then).
	Players *Players
	// SinglePass skips the authentication pass: the caller vouches that the
	// package file is the one authenticated whole when it was installed
	// (stationd titles add) and checked unchanged since. The copy then
	// reads and decrypts the package once, as it writes; a chunk that fails
	// its tag still stops the copy before any of its bytes reach the drive,
	// but the disc is spoiled (Error.Spoiled, ErrPackage, the chunk named).
	SinglePass bool
	// Resume continues this same copy on a BD-R it was cut off writing
	// (see resume.go): the disc is not blank, and only the sectors from
	// its next writable address on are sent.
	Resume bool
}

// Result describes a finished copy.
type Result struct {
	Layout disc.Layout
	// DiscDigest is SHA-256 of the header sector followed by the integrity
	// table: a digest of exactly what is on the disc, since every table
	// entry is a MAC of one cluster as written.
	DiscDigest [sha256.Size]byte
	// Codeword is the forensic codeword the copy carries.
	Codeword []byte
}

// copier holds one copy's state.
type copier struct {
	job     Job
	dev     device
	pipe    pipe
	bufs    chan []byte // chunk and unit buffers (bufPool)
	m       meter
	sec     *sector.Cipher
	layout  disc.Layout
	header  []byte // the header region as written
	table   []byte // the integrity table region as written
	touched bool   // anything sent to the drive
	reached int    // kept chunks the image writer has written (image.go)
}

// Copy makes one disc from a title package: see the package comment for the
// phases. On failure it returns an *Error; check Error.Spoiled to know
// whether the blank was used.
func Copy(ctx context.Context, d Drive, job Job) (*Result, error) {
	return copyTo(ctx, driveDevice{r: d, w: d}, job)
}

func copyTo(ctx context.Context, dev device, job Job) (*Result, error) {
	c := &copier{job: job, dev: dev, pipe: newPipe(), m: meter{clock: job.Clock, fn: job.Progress}}
	res, err := c.run(ctx)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Phase: c.m.phase, Err: err}
		}
		e.Spoiled = e.Spoiled || c.touched
		return nil, e
	}
	return res, nil
}

func (c *copier) run(ctx context.Context) (*Result, error) {
	if err := c.checkJob(); err != nil {
		return nil, &Error{Phase: PhaseAuthenticate, Err: err}
	}
	if !c.job.SinglePass {
		if err := c.authenticate(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.m.begin(PhaseCheck, 0); err != nil {
		return nil, err
	}
	if err := c.prepare(ctx); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e // a resumed disc's header, spoiled
		}
		return nil, &Error{Phase: PhaseCheck, Err: err}
	}
	for _, step := range []struct {
		phase Phase
		total int64
		run   func(context.Context) error
	}{
		{PhaseWrite, int64(c.layout.Sectors()) * disc.SectorSize, c.write},
		{PhaseSync, 0, c.dev.sync},
		{PhaseVerify, int64(c.layout.Sectors()) * disc.SectorSize, c.verify},
		{PhaseFinalise, 0, func(ctx context.Context) error { return c.dev.close(ctx, c.job.Keys.Format) }},
	} {
		if err := ctx.Err(); err != nil {
			return nil, &Error{Phase: step.phase, Err: err}
		}
		if err := c.m.begin(step.phase, step.total); err != nil {
			return nil, &Error{Phase: step.phase, Err: err}
		}
		if err := step.run(ctx); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return nil, e
			}
			return nil, &Error{Phase: step.phase, Err: err}
		}
	}
	res := &Result{Layout: c.layout, Codeword: bytes.Clone(c.job.Keys.Codeword)}
	h := sha256.New()
	h.Write(c.header[:disc.SectorSize])
	h.Write(c.table)
	h.Sum(res.DiscDigest[:0])
	c.m.begin(PhaseDone, 0) // the disc is made: a progress error changes nothing now
	return res, nil
}

// authenticate is the first pass: every chunk the copy holds a key for is
// authenticated, and the integrity root checked, before the drive is
// touched, so a damaged package costs no blank.
func (c *copier) authenticate(ctx context.Context) error {
	p := c.job.Package
	if err := c.m.begin(PhaseAuthenticate, p.Manifest().StreamSize()); err != nil {
		return err
	}
	if err := p.Verify(ctx, c.pipe.workers, func(n int64) { c.m.update(n) }); err != nil {
		return &Error{Phase: PhaseAuthenticate, Err: fmt.Errorf("%w: %w", ErrPackage, err)}
	}
	return nil
}

// checkJob refuses a job that could only fail later.
func (c *copier) checkJob() error {
	j := c.job
	switch {
	case j.Package == nil || j.Keys == nil:
		return fmt.Errorf("%w: package and keys are required", ErrJob)
	case len(j.Keys.Codeword)*8 < len(j.Package.Manifest().Segments):
		return fmt.Errorf("%w: codeword of %d bits for %d forensic segments", ErrJob, len(j.Keys.Codeword)*8, len(j.Package.Manifest().Segments))
	case len(j.Keys.Codeword) > disc.MaxCodeword:
		return fmt.Errorf("%w: codeword of %d bytes, at most %d", ErrJob, len(j.Keys.Codeword), disc.MaxCodeword)
	case len(j.MediaID) == 0:
		return fmt.Errorf("%w: media ID is required", ErrJob)
	}
	sec, err := sector.New(j.Keys.DiscKey)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJob, err)
	}
	c.sec = sec
	return nil
}

// prepare checks the disc in the drive and builds the header.
func (c *copier) prepare(ctx context.Context) error {
	md, err := c.dev.media(ctx)
	if err != nil {
		return err
	}
	f := c.job.Keys.Format
	start, free := md.Start, uint64(md.Free)
	resume := c.job.Resume && !md.Writable // a blank one is written from the start
	if resume {
		if md.info == nil {
			return fmt.Errorf("%w: the drive cannot say where the cut-off write stopped", ErrWrongDisc)
		}
		start, free = 0, uint64(md.info.NextWritable)+uint64(md.info.FreeSectors)
	}
	switch {
	case !bytes.Equal(md.MediaID, c.job.MediaID):
		return fmt.Errorf("%w: the drive reports media ID %x, the keys are for %x", ErrWrongDisc, md.MediaID, c.job.MediaID)
	case f.Profile != 0 && md.Profile != f.Profile:
		return fmt.Errorf("%w: disc profile %#04x, the format asks for %#04x", ErrWrongDisc, md.Profile, f.Profile)
	case !md.Writable && !resume:
		return fmt.Errorf("%w: the disc is not blank (BD-R) or rewritable (BD-RE)", ErrWrongDisc)
	}
	m := c.job.Package.Manifest()
	h, kb, hs, err := c.headerRegion(ctx, md, resume)
	if err != nil {
		return err
	}
	c.layout, err = disc.NewLayout(start, hs, m.ImageSize)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJob, err)
	}
	if c.layout.Sectors() > free {
		return fmt.Errorf("%w: the copy needs %d sectors, the disc has %d free", ErrNoRoom, c.layout.Sectors(), free)
	}
	if resume {
		from, err := resumeFrom(md.info, c.layout)
		if err != nil {
			return err
		}
		c.dev = resumeDevice{device: c.dev, from: from}
	}
	if err := c.dev.speed(ctx, int(f.MaxSpeedX)); err != nil {
		return err
	}
	if h == nil {
		h = &disc.Header{Version: disc.Version, Profile: md.Profile, Layers: f.Layers, Finalized: f.Finalize, Layout: c.layout,
			ImageSize: m.ImageSize, PackageRoot: m.Root, TitleID: m.TitleID, CopyID: c.job.CopyID,
			MediaID: c.job.MediaID, KeyBlock: kb, Codeword: c.job.Keys.Codeword}
	}
	if c.header, err = h.Seal(c.job.Keys.DiscKey); err != nil {
		return fmt.Errorf("%w: %w", ErrJob, err)
	}
	c.table = make([]byte, int(c.layout.TableSectors)*disc.SectorSize)
	return nil
}

// TitleKeys are the title package keys a copy's keys hold: the base key and,
// for segment s, the key of the variant the codeword names, in the slot of
// that variant. The keys are copied; the caller wipes both.
func TitleKeys(k *keys.CopyKeys) (*titlepkg.Keys, error) {
	if len(k.Codeword)*8 < len(k.VariantKeys) {
		return nil, fmt.Errorf("%w: %d variant keys for a codeword of %d bits", ErrJob, len(k.VariantKeys), len(k.Codeword)*8)
	}
	tk := &titlepkg.Keys{Base: bytes.Clone(k.BaseKey), Variants: make([][2][]byte, len(k.VariantKeys))}
	for s, v := range k.VariantKeys {
		tk.Variants[s][titlepkg.CodewordBit(k.Codeword, s)] = bytes.Clone(v)
	}
	return tk, nil
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"copystation/drive"
)

// MMCDrive is a Drive over the drive package (SG_IO, the serial link or the
// simulator underneath).
type MMCDrive struct {
	D     *drive.Drive
	Label string
	// Closer releases the transport, if it owns one.
	Closer io.Closer
	// Reopen opens the drive's device again by its URI. A drive that left
	// the bus (unplugged, replaced, its sg node removed) comes back as a
	// new node that the old file descriptor never reaches, so a re-probe
	// opens it anew. Nil: re-probes ask the same transport.
	Reopen func() (drive.Transport, error)
	opts   []drive.Option
	// openErr says why the device did not open at start (NewUnopenedDrive).
	openErr error
}

var _ Drive = (*MMCDrive)(nil)

// NewMMCDrive wraps a transport.
func NewMMCDrive(t drive.Transport, label string, opts ...drive.Option) *MMCDrive {
	d := &MMCDrive{D: drive.New(t, opts...), Label: label, opts: opts}
	if c, ok := t.(io.Closer); ok {
		d.Closer = c
	}
	return d
}

// NewUnopenedDrive stands in for a drive whose device did not open at
// start (err says why): the daemon keeps it out of service and re-probes
// it by opening it again with reopen, so a drive plugged in later joins
// without a restart.
func NewUnopenedDrive(label string, err error, reopen func() (drive.Transport, error), opts ...drive.Option) *MMCDrive {
	return &MMCDrive{D: drive.New(deadTransport{err}, opts...), Label: label, Reopen: reopen, opts: opts, openErr: err}
}

// OpenError says why the drive did not open at start (nil: it did).
func (d *MMCDrive) OpenError() error { return d.openErr }

// deadTransport answers every command with the error that kept its
// device from opening.
type deadTransport struct{ err error }

func (t deadTransport) Do([]byte, drive.Direction, []byte, time.Duration) (drive.Result, error) {
	return drive.Result{}, fmt.Errorf("%w: the device did not open: %w", drive.ErrTransport, t.err)
}

// Name implements Drive.
func (d *MMCDrive) Name() string { return d.Label }

// Close closes the transport.
func (d *MMCDrive) Close() error {
	if d.Closer == nil {
		return nil
	}
	return d.Closer.Close()
}

// MediaInfo implements Drive.
func (d *MMCDrive) MediaInfo(ctx context.Context) (Media, error) {
	if err := d.D.WaitReady(ctx); err != nil {
		if !errors.Is(err, drive.ErrMediumNotPresent) {
			return Media{}, err
		}
		if !d.trayHoldsDisc() {
			return Media{}, nil
		}
		// A disc in an open tray (a robot move that failed after the
		// eject, a daemon killed between the two) reads as "not present",
		// yet no blank can be loaded over it: close the tray and look.
		if err := d.D.Load(ctx); err != nil {
			return Media{}, fmt.Errorf("close the tray on the disc in it: %w", err)
		}
	}
	mi, err := d.D.MediaInfo(ctx)
	if errors.Is(err, drive.ErrMediumNotPresent) {
		return Media{}, nil
	}
	if err != nil {
		return Media{}, err
	}
	m := Media{Present: true, Profile: uint16(mi.Profile), MediaID: mi.MediaID, MediaIDErr: mi.MediaIDErr, CapacitySectors: mi.CapacitySectors}
	switch mi.Profile {
	case drive.ProfileBDRE:
		m.Blank = mi.State == drive.StateBlank || mi.State == drive.StateRandomAccess
	default:
		m.Blank = mi.State == drive.StateBlank
		m.Resumable = mi.Profile == drive.ProfileBDRSRM && mi.State == drive.StateAppendable &&
			mi.Sessions <= 1 && mi.OpenTrack == 1 && mi.NextWritableValid
	}
	return m, nil
}

// Probe implements Prober: the drive answers INQUIRY (and GET
// CONFIGURATION) at all, and TEST UNIT READY without a failure of its own
// (no medium, becoming ready or a unit attention after a reset are
// clean: they are the disc's or the moment's, not the drive's).
func (d *MMCDrive) Probe(ctx context.Context) error {
	if _, err := d.D.Identify(ctx); err != nil {
		return err
	}
	err := drive.TestUnitReady{}.Execute(d.D.Transport())
	for _, ok := range []error{drive.ErrMediumNotPresent, drive.ErrNotReady, drive.ErrBecomingReady, drive.ErrUnitAttention} {
		if errors.Is(err, ok) {
			return nil
		}
	}
	return err
}

// Reprobe implements Reprober: Probe, and where the transport is gone and
// the device can be opened again, Probe on a fresh transport. It runs
// only while the drive is out of service (no job touches it).
func (d *MMCDrive) Reprobe(ctx context.Context) error {
	err := d.Probe(ctx)
	if err == nil || d.Reopen == nil || !errors.Is(err, drive.ErrTransport) {
		return err
	}
	t, oerr := d.Reopen()
	if oerr != nil {
		return fmt.Errorf("%w; opening it again: %w", err, oerr)
	}
	if d.Closer != nil {
		d.Closer.Close()
	}
	d.D, d.Closer, d.openErr = drive.New(t, d.opts...), nil, nil
	if c, ok := t.(io.Closer); ok {
		d.Closer = c
	}
	return d.Probe(ctx)
}

// trayHoldsDisc asks the drive (GET EVENT STATUS NOTIFICATION, media
// class) whether its tray is open with a disc in it. Any error counts as no.
func (d *MMCDrive) trayHoldsDisc() bool {
	es, err := drive.GetEventStatusNotification{Polled: true, ClassRequest: drive.EventClassMedia, AllocationLength: 8}.Execute(d.D.Transport())
	return err == nil && es.Class == 4 && es.MediaPresent && es.DoorOpen
}

// Finalize implements Drive: close the disc unless it is complete already.
func (d *MMCDrive) Finalize(ctx context.Context) error {
	mi, err := d.D.MediaInfo(ctx)
	if err != nil {
		return err
	}
	if mi.State == drive.StateComplete || mi.Profile == drive.ProfileBDRE {
		return nil
	}
	if err := d.D.SynchronizeCache(ctx); err != nil {
		return err
	}
	return d.D.Finalize(ctx)
}

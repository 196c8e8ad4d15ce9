package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"

	"copystation/drive"
)

// MMCDrive is a Drive over the drive package (SG_IO, the serial link or the
// simulator underneath).
type MMCDrive struct {
	D     *drive.Drive
	Label string
	// Closer releases the transport, if it owns one.
	Closer io.Closer
}

var _ Drive = (*MMCDrive)(nil)

// NewMMCDrive wraps a transport.
func NewMMCDrive(t drive.Transport, label string, opts ...drive.Option) *MMCDrive {
	d := &MMCDrive{D: drive.New(t, opts...), Label: label}
	if c, ok := t.(io.Closer); ok {
		d.Closer = c
	}
	return d
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
// CONFIGURATION) at all.
func (d *MMCDrive) Probe(ctx context.Context) error {
	_, err := d.D.Identify(ctx)
	return err
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

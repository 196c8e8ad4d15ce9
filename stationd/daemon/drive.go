package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"copystation/drive"
)

// TransportDrive is a Drive over an MMC transport (SG_IO, the serial link
// or the simulator), using the drive package's typed commands.
type TransportDrive struct {
	T     drive.Transport
	Label string
	// ReadyWait bounds the wait for a drive that is becoming ready
	// (default 60 s).
	ReadyWait time.Duration
}

var _ Drive = (*TransportDrive)(nil)

// Name implements Drive.
func (d *TransportDrive) Name() string { return d.Label }

// Close closes the transport if it owns a resource.
func (d *TransportDrive) Close() error {
	if c, ok := d.T.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// MediaInfo implements Drive.
func (d *TransportDrive) MediaInfo(ctx context.Context) (Media, error) {
	if err := d.waitReady(ctx); err != nil {
		if errors.Is(err, drive.ErrMediumNotPresent) {
			return Media{}, nil
		}
		return Media{}, err
	}
	cfg, err := drive.GetConfiguration{}.Execute(d.T)
	if err != nil {
		return Media{}, err
	}
	di, err := drive.ReadDiscInformation{}.Execute(d.T)
	if err != nil {
		return Media{}, err
	}
	m := Media{Present: true, Profile: uint16(cfg.CurrentProfile), Blank: di.Status == drive.DiscEmpty}
	// The invisible (incomplete) track spans what is still writable.
	if ti, err := (drive.ReadTrackInformation{AddressType: 1, Number: 1}).Execute(d.T); err == nil {
		m.CapacitySectors = ti.Start + ti.Size
	}
	ds, err := drive.ReadDiscStructure{MediaType: 1, Format: drive.FormatAACSMediaID}.Execute(d.T)
	if err != nil {
		return Media{}, fmt.Errorf("read the media ID: %w", err)
	}
	id, _, err := ds.AACSMediaID()
	if err != nil {
		return Media{}, err
	}
	m.MediaID = append([]byte(nil), id...)
	return m, nil
}

// waitReady polls TEST UNIT READY through "becoming ready" and unit
// attentions, within ReadyWait.
func (d *TransportDrive) waitReady(ctx context.Context) error {
	wait := d.ReadyWait
	if wait <= 0 {
		wait = 60 * time.Second
	}
	deadline := time.Now().Add(wait)
	pause := 10 * time.Millisecond
	for {
		err := drive.TestUnitReady{}.Execute(d.T)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, drive.ErrMediumNotPresent):
			return err
		case errors.Is(err, drive.ErrUnitAttention), errors.Is(err, drive.ErrBecomingReady),
			errors.Is(err, drive.ErrNotReady), errors.Is(err, drive.ErrLongWriteInProgress), errors.Is(err, drive.ErrBusy):
		default:
			return fmt.Errorf("test unit ready: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("drive %s not ready after %v: %w", d.Label, wait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// Finalize implements Drive: flush the cache and close the disc, unless it
// is complete already.
func (d *TransportDrive) Finalize(ctx context.Context) error {
	if err := d.waitReady(ctx); err != nil {
		return err
	}
	di, err := drive.ReadDiscInformation{}.Execute(d.T)
	if err != nil {
		return err
	}
	if di.Status == drive.DiscComplete {
		return nil
	}
	if err := (drive.SynchronizeCache{}).Execute(d.T); err != nil {
		return err
	}
	return drive.CloseTrackSession{Function: drive.CloseFinalize}.Execute(d.T)
}

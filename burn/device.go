package burn

import (
	"context"
	"fmt"

	"copystation/drive"
	"copystation/keys"
)

// Drive is what a copy needs from a drive; *drive.Drive satisfies it.
type Drive interface {
	Reader
	Write(ctx context.Context, lba uint32, p []byte) error
	SynchronizeCache(ctx context.Context) error
	CloseTrack(ctx context.Context, track uint16) error
	CloseSession(ctx context.Context) error
	Finalize(ctx context.Context) error
}

// Reader is what the player needs from a drive; *drive.Drive satisfies it.
type Reader interface {
	MediaInfo(ctx context.Context) (*drive.MediaInfo, error)
	Read(ctx context.Context, lba uint32, p []byte) error
}

// speeder is the optional speed control a Drive may offer.
type speeder interface {
	ChooseWriteSpeed(ctx context.Context, maxX int) (drive.SpeedChoice, error)
}

var (
	_ Drive   = (*drive.Drive)(nil)
	_ speeder = (*drive.Drive)(nil)
)

// media is what a copy needs to know about the disc in the drive.
type media struct {
	MediaID  []byte
	Profile  uint16
	Writable bool   // a blank BD-R, or a formatted BD-RE
	Start    uint32 // where the copy starts
	Free     uint32 // sectors free from Start
	// info is the drive's full answer (nil from devices that have none):
	// a resumed copy reads the open track's state from it.
	info *drive.MediaInfo
}

// device is the drive as the pipeline uses it.
type device interface {
	media(ctx context.Context) (media, error)
	write(ctx context.Context, lba uint32, p []byte) error
	read(ctx context.Context, lba uint32, p []byte) error
	sync(ctx context.Context) error
	close(ctx context.Context, f keys.FormatMetadata) error
	speed(ctx context.Context, maxX int) error
}

// driveDevice adapts a Drive (or, for the player, a Reader) to device.
type driveDevice struct {
	r Reader
	w Drive // nil for the player
}

func (d driveDevice) media(ctx context.Context) (media, error) {
	mi, err := d.r.MediaInfo(ctx)
	if err != nil {
		return media{}, err
	}
	if mi.MediaID == nil {
		return media{}, fmt.Errorf("%w: the drive gives no media ID: %v", ErrWrongDisc, mi.MediaIDErr)
	}
	m := media{MediaID: mi.MediaID, Profile: uint16(mi.Profile), info: mi}
	switch {
	case mi.Profile == drive.ProfileBDRE:
		m.Writable, m.Start, m.Free = mi.State == drive.StateRandomAccess, 0, mi.CapacitySectors
	default:
		m.Writable = mi.State == drive.StateBlank && mi.NextWritableValid
		m.Start, m.Free = mi.NextWritable, mi.FreeSectors
	}
	return m, nil
}

func (d driveDevice) write(ctx context.Context, lba uint32, p []byte) error {
	return d.w.Write(ctx, lba, p)
}

func (d driveDevice) read(ctx context.Context, lba uint32, p []byte) error {
	return d.r.Read(ctx, lba, p)
}

func (d driveDevice) sync(ctx context.Context) error { return d.w.SynchronizeCache(ctx) }

// close closes the track and then the session, or finalises the disc, on
// BD-R; a BD-RE needs nothing.
func (d driveDevice) close(ctx context.Context, f keys.FormatMetadata) error {
	mi, err := d.r.MediaInfo(ctx)
	if err != nil {
		return err
	}
	if mi.Profile == drive.ProfileBDRE {
		return nil
	}
	if mi.OpenTrack != 0 {
		if err := d.w.CloseTrack(ctx, mi.OpenTrack); err != nil {
			return err
		}
	}
	if f.Finalize {
		return d.w.Finalize(ctx)
	}
	return d.w.CloseSession(ctx)
}

// speed caps the write speed when the format asks and the drive can.
func (d driveDevice) speed(ctx context.Context, maxX int) error {
	s, ok := d.w.(speeder)
	if maxX <= 0 || !ok {
		return nil
	}
	_, err := s.ChooseWriteSpeed(ctx, maxX)
	return err
}

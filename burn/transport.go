package burn

import (
	"context"
	"fmt"

	"copystation/drive"
	"copystation/keys"
)

// transportDevice drives a bare drive.Transport with the drive package's
// typed MMC commands. It is what the pipeline used before drive.Drive
// existed and still serves tools that hold only a transport.
type transportDevice struct{ t drive.Transport }

// Media structure format 0x86 (AACS media identifier) of READ DISC
// STRUCTURE, media type 1 (BD).
const (
	mediaTypeBD    = 1
	formatMediaID  = 0x86
	addressTrack   = 1
	invisibleTrack = 0xFF
	mediaIDSize    = 16
	profileBDRE    = uint16(drive.ProfileBDRE)
	profileBDRSRM  = uint16(drive.ProfileBDRSRM)
	profileBDRRRM  = uint16(drive.ProfileBDRRRM)
)

func (d transportDevice) media(ctx context.Context) (media, error) {
	var m media
	if err := ctx.Err(); err != nil {
		return m, err
	}
	cfg, err := drive.GetConfiguration{RT: 1}.Execute(d.t)
	if err != nil {
		return m, err
	}
	m.Profile = uint16(cfg.CurrentProfile)
	di, err := drive.ReadDiscInformation{}.Execute(d.t)
	if err != nil {
		return m, err
	}
	ds, err := drive.ReadDiscStructure{MediaType: mediaTypeBD, Format: formatMediaID}.Execute(d.t)
	if err != nil {
		return m, err
	}
	if len(ds.Data) < mediaIDSize {
		return m, fmt.Errorf("burn: media ID structure of %d bytes: %w", len(ds.Data), drive.ErrBadResponse)
	}
	m.MediaID = append([]byte(nil), ds.Data[:mediaIDSize]...)
	ti, err := drive.ReadTrackInformation{AddressType: addressTrack, Number: uint32(di.LastTrackInLastSession)}.Execute(d.t)
	if err != nil {
		return m, err
	}
	switch m.Profile {
	case profileBDRE:
		m.Writable, m.Start, m.Free = true, 0, ti.Size
	default:
		m.Writable = di.Status == drive.DiscEmpty && ti.NWAValid
		m.Start, m.Free = ti.NextWritable, ti.Free
	}
	return m, nil
}

func (d transportDevice) write(ctx context.Context, lba uint32, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return drive.Write12{LBA: lba, Blocks: uint32(len(p) / drive.SectorSize), Streaming: true, Data: p}.Execute(d.t)
}

func (d transportDevice) read(ctx context.Context, lba uint32, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return drive.Read12{LBA: lba, Blocks: uint32(len(p) / drive.SectorSize), Buf: p}.Execute(d.t)
}

func (d transportDevice) sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return drive.SynchronizeCache{}.Execute(d.t)
}

// close closes the track and the session on BD-R, finalising when the
// format says so; a BD-RE needs nothing.
func (d transportDevice) close(ctx context.Context, f keys.FormatMetadata) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	di, err := drive.ReadDiscInformation{}.Execute(d.t)
	if err != nil {
		return err
	}
	cfg, err := drive.GetConfiguration{RT: 1}.Execute(d.t)
	if err != nil {
		return err
	}
	if uint16(cfg.CurrentProfile) == profileBDRE {
		return nil
	}
	if err := (drive.CloseTrackSession{Function: drive.CloseTrack, Number: di.LastTrackInLastSession}).Execute(d.t); err != nil {
		return err
	}
	fn := drive.CloseSession
	if f.Finalize {
		fn = drive.CloseFinalize
	}
	return drive.CloseTrackSession{Function: fn}.Execute(d.t)
}

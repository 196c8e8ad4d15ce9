package drive

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// MediaState is what can still be written on the medium.
type MediaState uint8

const (
	StateBlank        MediaState = iota + 1 // nothing written (or an unformatted BD-RE)
	StateAppendable                         // written, more can be appended
	StateComplete                           // finalised, read-only
	StateRandomAccess                       // formatted BD-RE: write anywhere
)

func (s MediaState) String() string {
	switch s {
	case StateBlank:
		return "blank"
	case StateAppendable:
		return "appendable"
	case StateComplete:
		return "complete"
	case StateRandomAccess:
		return "random-access"
	}
	return fmt.Sprintf("MediaState(%d)", uint8(s))
}

// MediaInfo describes the loaded medium.
type MediaInfo struct {
	Profile  Profile
	State    MediaState
	Erasable bool
	// CapacitySectors is the user capacity in 2048-byte sectors: for a
	// blank or appendable write-once disc the whole recordable area (what
	// it holds plus what can still be written); for a complete disc
	// (finalised, or pressed) what it holds, READ CAPACITY's last LBA + 1;
	// for a formatted BD-RE its formatted capacity; 0 for an unformatted
	// BD-RE.
	CapacitySectors uint32
	// NextWritable is the next writable address of the open track
	// (BD-R); 0 on a BD-RE. Valid only when NextWritableValid.
	NextWritable      uint32
	NextWritableValid bool
	FreeSectors       uint32
	// OpenTrack is the number of the incomplete track (BD-R), 0 if none.
	OpenTrack uint16
	Sessions  uint16
	// LastRecorded is READ CAPACITY's last recorded LBA.
	LastRecorded uint32
	// MediaID is the 16-byte AACS media identifier and MediaIDMAC its MAC;
	// nil with MediaIDErr set when the drive would not give it (a real
	// drive asks for AACS bus authentication first).
	MediaID    []byte
	MediaIDMAC []byte
	MediaIDErr error
}

// MediaInfo reads the current profile, disc and track information, the
// capacity and the media ID. A unit attention (a new disc, a reset) makes
// it start over, as the answers before it may describe another medium.
//
// READ FORMAT CAPACITIES is optional for drives without the Formattable
// feature (ROM drives, QEMU's): when the drive does not know the command
// (ILLEGAL REQUEST 20/00) the capacity comes from READ TRACK INFORMATION
// (the end of the last track of a blank or appendable disc) or READ
// CAPACITY (a complete disc, a formatted BD-RE) instead.
func (d *Drive) MediaInfo(ctx context.Context) (*MediaInfo, error) {
	var mi *MediaInfo
	err := d.absorbAttentions(ctx, "MediaInfo", func() (err error) { mi, err = d.mediaInfo(ctx); return err })
	return mi, err
}

func (d *Drive) mediaInfo(ctx context.Context) (*MediaInfo, error) {
	t := d.bound(ctx)
	var (
		cfg  *Configuration
		di   *DiscInformation
		fc   *FormatCapacities
		capy *Capacity
	)
	steps := []func() error{
		func() (err error) { cfg, err = GetConfiguration{RT: RTOne, AllocationLength: 8}.Execute(t); return err },
		func() (err error) { di, err = ReadDiscInformation{}.Execute(t); return err },
		func() (err error) {
			fc, err = ReadFormatCapacities{}.Execute(t)
			if unsupported(err) {
				fc, err = nil, nil
			}
			return err
		},
		func() (err error) { capy, err = ReadCapacity{}.Execute(t); return err },
	}
	for _, s := range steps {
		if err := d.retry(ctx, "MediaInfo", s); err != nil {
			return nil, err
		}
	}
	if cfg.CurrentProfile == ProfileNone {
		return nil, fmt.Errorf("drive.MediaInfo: current profile 0: %w", ErrMediumNotPresent)
	}
	mi := &MediaInfo{Profile: cfg.CurrentProfile, Erasable: di.Erasable, Sessions: di.Sessions, LastRecorded: capy.LastLBA}
	switch di.Status {
	case DiscEmpty:
		mi.State = StateBlank
	case DiscIncomplete:
		mi.State = StateAppendable
	case DiscComplete:
		mi.State = StateComplete
	default:
		mi.State = StateRandomAccess
	}
	mi.CapacitySectors = capacityOf(mi, fc, capy)
	if err := d.trackInfo(ctx, t, di, mi); err != nil {
		return nil, err
	}
	var ds *DiscStructure
	mi.MediaIDErr = d.retry(ctx, "MediaInfo", func() (err error) {
		ds, err = ReadDiscStructure{MediaType: StructureMediaBD, Format: FormatAACSMediaID, AllocationLength: 36}.Execute(t)
		return err
	})
	if errors.Is(mi.MediaIDErr, ErrUnitAttention) {
		return nil, mi.MediaIDErr // start over: the medium may have changed
	}
	if mi.MediaIDErr == nil {
		id, mac, err := ds.AACSMediaID()
		mi.MediaID, mi.MediaIDMAC, mi.MediaIDErr = append([]byte(nil), id...), append([]byte(nil), mac...), err
	}
	return mi, nil
}

// unsupported reports whether err says the drive does not implement the
// command: ILLEGAL REQUEST, invalid command operation code (20/00).
func unsupported(err error) bool {
	var se *SenseError
	return errors.As(err, &se) && se.Key == KeyIllegalRequest && se.Code() == ASCInvalidOpcode
}

// capacityOf is the capacity from what the drive said so far; fc is nil
// when it has no READ FORMAT CAPACITIES. It is 0 for a blank or appendable
// write-once disc without one, which trackInfo fills from the last track.
func capacityOf(mi *MediaInfo, fc *FormatCapacities, capy *Capacity) uint32 {
	switch {
	case mi.State == StateComplete:
		// Nothing more can be written: the capacity is what is there.
		return capy.LastLBA + 1
	case mi.Erasable && mi.State == StateBlank:
		return 0 // an unformatted BD-RE: no user area yet
	case fc != nil && fc.CurrentType == CapacityFormatted:
		return fc.CurrentBlocks
	case fc != nil && fc.CurrentType == CapacityUnformatted && !mi.Erasable:
		// A blank BD-R not formatted for POW/SRM+POW: the maximum is the
		// recordable area.
		return fc.CurrentBlocks
	case mi.State == StateRandomAccess:
		return capy.LastLBA + 1 // READ CAPACITY covers the formatted area
	}
	return 0
}

// trackInfo fills the next writable address from the open (invisible)
// track of a BD-R, or the free space of a formatted BD-RE. A write-once
// disc whose capacity is still unknown (no READ FORMAT CAPACITIES) gets
// the end of that last track, which reaches the end of the recordable
// area.
func (d *Drive) trackInfo(ctx context.Context, t Transport, di *DiscInformation, mi *MediaInfo) error {
	if mi.State == StateComplete || (mi.Erasable && mi.CapacitySectors == 0) {
		return nil
	}
	if mi.State == StateRandomAccess {
		mi.FreeSectors = mi.CapacitySectors
		return nil
	}
	var ti *TrackInformation
	err := d.retry(ctx, "MediaInfo", func() (err error) {
		ti, err = ReadTrackInformation{AddressType: TrackAddrTrack, Number: uint32(di.LastTrackInLastSession)}.Execute(t)
		return err
	})
	if err != nil {
		return err
	}
	mi.OpenTrack = ti.Track
	mi.NextWritable, mi.NextWritableValid, mi.FreeSectors = ti.NextWritable, ti.NWAValid, ti.Free
	if mi.CapacitySectors == 0 && !mi.Erasable {
		mi.CapacitySectors = ti.Start + ti.Size
	}
	return nil
}

// SpeedChoice is the write speed ChooseWriteSpeed settled on.
type SpeedChoice struct {
	KBps uint32  // kilobytes (1000 bytes) per second
	X    float64 // in BD 1x units of 4,500 kB/s
}

// ChooseWriteSpeed reads the drive's write speeds for the loaded medium
// (GET PERFORMANCE type 03h), picks the fastest not above maxX (or the
// slowest offered, if all are faster) and sets it with SET STREAMING over
// the whole medium: READ FORMAT CAPACITIES' current capacity, or on a
// drive without that command the capacity MediaInfo derives.
func (d *Drive) ChooseWriteSpeed(ctx context.Context, maxX int) (SpeedChoice, error) {
	t := d.bound(ctx)
	var perf *PerformanceData
	if err := d.retry(ctx, "ChooseWriteSpeed", func() (err error) {
		perf, err = GetPerformance{Type: PerfTypeWriteSpeed, MaxDescriptors: 32}.Execute(t)
		return err
	}); err != nil {
		return SpeedChoice{}, err
	}
	speeds := make([]uint32, 0, len(perf.Speeds))
	for _, s := range perf.Speeds {
		if s.WriteKBps > 0 {
			speeds = append(speeds, s.WriteKBps)
		}
	}
	if len(speeds) == 0 {
		return SpeedChoice{}, fmt.Errorf("drive.ChooseWriteSpeed: the drive reported no write speeds: %w", ErrBadResponse)
	}
	sort.Slice(speeds, func(i, j int) bool { return speeds[i] < speeds[j] })
	pick := speeds[0]
	limit := uint64(max(maxX, 0)) * OneXBytesPerSecond / 1000
	for _, s := range speeds {
		if uint64(s) <= limit {
			pick = s
		}
	}
	var fc *FormatCapacities
	err := d.retry(ctx, "ChooseWriteSpeed", func() (err error) { fc, err = ReadFormatCapacities{}.Execute(t); return err })
	var end uint32
	switch {
	case err == nil:
		end = fc.CurrentBlocks // the whole medium, formatted or not
	case unsupported(err):
		// No READ FORMAT CAPACITIES: the capacity MediaInfo derives.
		mi, err := d.mediaInfo(ctx)
		if err != nil {
			return SpeedChoice{}, fmt.Errorf("drive.ChooseWriteSpeed: %w", err)
		}
		end = mi.CapacitySectors
	default:
		return SpeedChoice{}, err
	}
	if end == 0 {
		return SpeedChoice{}, fmt.Errorf("drive.ChooseWriteSpeed: the medium reports no capacity: %w", ErrBadResponse)
	}
	ss := SetStreaming{EndLBA: end - 1, ReadSize: pick, ReadTime: 1000, WriteSize: pick, WriteTime: 1000}
	if err := d.retry(ctx, "ChooseWriteSpeed", func() error { return ss.Execute(t) }); err != nil {
		return SpeedChoice{}, err
	}
	return SpeedChoice{KBps: pick, X: float64(pick) * 1000 / OneXBytesPerSecond}, nil
}

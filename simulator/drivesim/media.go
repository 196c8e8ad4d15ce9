package drivesim

import (
	"copystation/drive"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// MediaType is a kind of blank disc the simulator can load.
type MediaType int

const (
	// BDR25 is a single-layer BD-R, 12,219,392 sectors.
	BDR25 MediaType = iota + 1
	// BDR50 is a dual-layer BD-R, 24,438,784 sectors.
	BDR50
	// BDRE25 is a single-layer BD-RE, delivered unformatted.
	BDRE25
)

// BD-RE formatted capacities (sectors): the default format keeps spare
// areas for defect management; format type 31h gives them up.
const (
	bdreSpareCapacity   = 11826176
	bdreNoSpareCapacity = drive.BDRSingleLayer
)

// ParseMediaType reads the names copysim uses: bd-r-25, bd-r-50, bd-re-25.
func ParseMediaType(s string) (MediaType, error) {
	for _, m := range []MediaType{BDR25, BDR50, BDRE25} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("drivesim.ParseMediaType: %q is not a media type; use bd-r-25, bd-r-50 or bd-re-25", s)
}

func (m MediaType) String() string {
	switch m {
	case BDR25:
		return "bd-r-25"
	case BDR50:
		return "bd-r-50"
	case BDRE25:
		return "bd-re-25"
	}
	return fmt.Sprintf("MediaType(%d)", int(m))
}

// Profile is the MMC profile the drive reports for the medium.
func (m MediaType) Profile() drive.Profile {
	if m == BDRE25 {
		return drive.ProfileBDRE
	}
	return drive.ProfileBDRSRM
}

// Sectors is the medium's raw user capacity.
func (m MediaType) Sectors() uint32 {
	if m == BDR50 {
		return drive.BDRDualLayer
	}
	return drive.BDRSingleLayer
}

func (m MediaType) valid() bool { return m >= BDR25 && m <= BDRE25 }

// ErrBadMedia is returned for an unknown MediaType.
var ErrBadMedia = errors.New("drivesim: unknown media type")

// track is one track of a disc. Addresses are absolute LBAs.
type track struct {
	number  int
	session int
	start   uint32
	size    uint32 // sectors reserved for the track
	nwa     uint32 // next writable address; start+recorded sectors
	closed  bool
}

func (t *track) end() uint32            { return t.start + t.size }
func (t *track) blank() bool            { return t.nwa == t.start }
func (t *track) contains(l uint32) bool { return l >= t.start && l < t.end() }

// Disc is one medium: its identity, its recording state and the sparse
// file (or, with Options.InMemory, the memory) holding its user data. A Disc moves between drives and robot bins;
// Close releases its file.
type Disc struct {
	media     MediaType
	id        [16]byte
	mac       [16]byte
	path      string // "" for a disc held in memory
	f         store
	formatted uint32 // BD-RE formatted capacity in sectors, 0 if unformatted

	tracks    []*track // BD-R: every track, in order; the last open one is the invisible track
	sessions  int      // sessions on the disc including an open or empty last one
	finalized bool

	// cache holds the extents written but not yet flushed, oldest first.
	cache       []extent
	cacheTotal  uint32
	lastUsedLBA uint32
}

type extent struct{ lba, n uint32 }

// newDisc creates a blank disc with a fresh media ID drawn from rnd and a
// sparse file in dir, or its data in memory when dir is "".
func newDisc(dir string, m MediaType, id, mac [16]byte) (*Disc, error) {
	if !m.valid() {
		return nil, fmt.Errorf("drivesim.Insert: %w: %d", ErrBadMedia, int(m))
	}
	d := &Disc{media: m, id: id, mac: mac, sessions: 1}
	if m != BDRE25 {
		d.tracks = []*track{{number: 1, session: 1, start: 0, size: m.Sectors(), nwa: 0}}
	}
	if dir == "" {
		d.f = newMemStore(int64(m.Sectors()) * drive.SectorSize)
		return d, nil
	}
	d.path = filepath.Join(dir, "disc-"+hex.EncodeToString(id[:])+".img")
	f, err := os.OpenFile(d.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("drivesim.Insert: create disc file: %w", err)
	}
	if err := f.Truncate(int64(m.Sectors()) * drive.SectorSize); err != nil {
		f.Close()
		os.Remove(d.path)
		return nil, fmt.Errorf("drivesim.Insert: size disc file: %w", err)
	}
	d.f = f
	return d, nil
}

// Media reports the disc's type.
func (d *Disc) Media() MediaType { return d.media }

// MediaID is the disc's 16-byte unique identifier.
func (d *Disc) MediaID() []byte { return append([]byte(nil), d.id[:]...) }

// Path is the sparse file holding the disc's user data, "" for a disc held
// in memory.
func (d *Disc) Path() string { return d.path }

// Close releases the disc's file (the file itself stays in the directory)
// or its memory.
func (d *Disc) Close() error {
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}

// Destroy closes the disc and deletes its file, as shredding a disc would.
func (d *Disc) Destroy() error {
	if d.path == "" {
		return d.Close()
	}
	return errors.Join(d.Close(), os.Remove(d.path))
}

func (d *Disc) erasable() bool { return d.media == BDRE25 }

// capacity is the number of addressable sectors.
func (d *Disc) capacity() uint32 {
	if d.erasable() {
		return d.formatted
	}
	return d.media.Sectors()
}

// openTrack is the invisible (last, open) track, or nil when the disc is
// finalised or full.
func (d *Disc) openTrack() *track {
	if len(d.tracks) == 0 {
		return nil
	}
	t := d.tracks[len(d.tracks)-1]
	if t.closed {
		return nil
	}
	return t
}

// trackAt finds the track holding lba.
func (d *Disc) trackAt(lba uint32) *track {
	for _, t := range d.tracks {
		if t.contains(lba) {
			return t
		}
	}
	return nil
}

// lastRecorded is the last recorded LBA, ok false on a blank disc.
func (d *Disc) lastRecorded() (uint32, bool) {
	if d.erasable() {
		return d.formatted - 1, d.formatted > 0
	}
	for i := len(d.tracks) - 1; i >= 0; i-- {
		if t := d.tracks[i]; !t.blank() {
			return t.nwa - 1, true
		}
	}
	return 0, false
}

// blank says the BD-R has nothing recorded (or the BD-RE is unformatted).
func (d *Disc) blank() bool {
	_, ok := d.lastRecorded()
	return !ok
}

// sessionTracks returns the first and last track numbers of session s.
func (d *Disc) sessionTracks(s int) (first, last int) {
	for _, t := range d.tracks {
		if t.session != s {
			continue
		}
		if first == 0 {
			first = t.number
		}
		last = t.number
	}
	return first, last
}

// lastSessionEmpty says no track of the last session holds data.
func (d *Disc) lastSessionEmpty() bool {
	for _, t := range d.tracks {
		if t.session == d.sessions && !t.blank() {
			return false
		}
	}
	return true
}

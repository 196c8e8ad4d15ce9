package drive

import (
	"encoding/binary"
	"fmt"
)

// DiscStatus is the disc status field of READ DISC INFORMATION, byte 2
// bits 1-0 (MMC-6 6.22.3.1.2, table 285).
type DiscStatus uint8

const (
	DiscEmpty      DiscStatus = 0 // blank
	DiscIncomplete DiscStatus = 1 // appendable
	DiscComplete   DiscStatus = 2 // finalised
	DiscOther      DiscStatus = 3 // random-access only (e.g. BD-RE)
)

func (s DiscStatus) String() string {
	return [...]string{"blank", "appendable", "complete", "random-access"}[s&3]
}

// ReadDiscInformation reads the disc information block (MMC-6 6.22).
type ReadDiscInformation struct {
	DataType         uint8  // byte 1 bits 2-0; 0 is standard disc information
	AllocationLength uint16 // bytes 7-8; 0 means 34
}

func (c ReadDiscInformation) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpReadDiscInformation)
	cdb[1] = c.DataType & 0x07
	binary.BigEndian.PutUint16(cdb[7:], orDefault(c.AllocationLength, 34))
	return cdb
}

// DiscInformation is standard disc information (MMC-6 6.22.3.1, table 284).
type DiscInformation struct {
	Erasable                bool       // byte 2 bit 4
	LastSessionState        uint8      // byte 2 bits 3-2
	Status                  DiscStatus // byte 2 bits 1-0
	FirstTrack              uint8      // byte 3
	Sessions                uint16     // bytes 9 (MSB) and 4 (LSB)
	FirstTrackInLastSession uint16     // bytes 10 and 5
	LastTrackInLastSession  uint16     // bytes 11 and 6
	DiscType                uint8      // byte 8
	LastSessionLeadIn       uint32     // bytes 16-19
	LastPossibleLeadOut     uint32     // bytes 20-23
}

func (c ReadDiscInformation) Execute(t Transport) (*DiscInformation, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "READ DISC INFORMATION", cdb, int(be16(cdb[7:])))
	if err != nil {
		return nil, err
	}
	return ParseDiscInformation(b)
}

// ParseDiscInformation decodes standard disc information.
func ParseDiscInformation(b []byte) (*DiscInformation, error) {
	if len(b) < 24 {
		return nil, badResponse("READ DISC INFORMATION", "%d bytes, want at least 24", len(b))
	}
	if dt := b[2] >> 5; dt != 0 {
		return nil, badResponse("READ DISC INFORMATION", "data type %d, want 0 (standard)", dt)
	}
	return &DiscInformation{
		Erasable:                b[2]&0x10 != 0,
		LastSessionState:        b[2] >> 2 & 3,
		Status:                  DiscStatus(b[2] & 3),
		FirstTrack:              b[3],
		Sessions:                uint16(b[9])<<8 | uint16(b[4]),
		FirstTrackInLastSession: uint16(b[10])<<8 | uint16(b[5]),
		LastTrackInLastSession:  uint16(b[11])<<8 | uint16(b[6]),
		DiscType:                b[8],
		LastSessionLeadIn:       be32(b[16:20]),
		LastPossibleLeadOut:     be32(b[20:24]),
	}, nil
}

// Address types of READ TRACK INFORMATION, byte 1 bits 1-0 (MMC-6 6.27.2.2).
const (
	TrackAddrLBA     = 0
	TrackAddrTrack   = 1
	TrackAddrSession = 2
)

// InvisibleTrack is the track number that addresses the incomplete
// (invisible) track, where the next writable address lives.
const InvisibleTrack = 0xFF

// ReadTrackInformation reads one track's information block (MMC-6 6.27).
type ReadTrackInformation struct {
	Open             bool   // byte 1 bit 2
	AddressType      uint8  // byte 1 bits 1-0
	Number           uint32 // bytes 2-5: LBA, track or session number
	AllocationLength uint16 // bytes 7-8; 0 means 48
}

func (c ReadTrackInformation) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpReadTrackInformation)
	cdb[1] = bit(c.Open, 2) | c.AddressType&3
	binary.BigEndian.PutUint32(cdb[2:], c.Number)
	binary.BigEndian.PutUint16(cdb[7:], orDefault(c.AllocationLength, 48))
	return cdb
}

// TrackInformation is the track information block (MMC-6 6.27.3, table 325).
type TrackInformation struct {
	Track        uint16 // bytes 32 (MSB) and 2 (LSB)
	Session      uint16 // bytes 33 and 3
	Damage       bool   // byte 5 bit 5
	Copy         bool   // byte 5 bit 4
	TrackMode    uint8  // byte 5 bits 3-0
	RT           bool   // byte 6 bit 7: reserved track
	Blank        bool   // byte 6 bit 6
	Packet       bool   // byte 6 bit 5
	FP           bool   // byte 6 bit 4
	DataMode     uint8  // byte 6 bits 3-0
	LRAValid     bool   // byte 7 bit 1
	NWAValid     bool   // byte 7 bit 0
	Start        uint32 // bytes 8-11: track start address
	NextWritable uint32 // bytes 12-15
	Free         uint32 // bytes 16-19: free blocks
	PacketSize   uint32 // bytes 20-23
	Size         uint32 // bytes 24-27: track size
	LastRecorded uint32 // bytes 28-31
}

func (c ReadTrackInformation) Execute(t Transport) (*TrackInformation, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "READ TRACK INFORMATION", cdb, int(be16(cdb[7:])))
	if err != nil {
		return nil, err
	}
	return ParseTrackInformation(b)
}

// ParseTrackInformation decodes a track information block.
func ParseTrackInformation(b []byte) (*TrackInformation, error) {
	if len(b) < 28 {
		return nil, badResponse("READ TRACK INFORMATION", "%d bytes, want at least 28", len(b))
	}
	ti := &TrackInformation{
		Track: uint16(b[2]), Session: uint16(b[3]),
		Damage: b[5]&0x20 != 0, Copy: b[5]&0x10 != 0, TrackMode: b[5] & 0x0F,
		RT: b[6]&0x80 != 0, Blank: b[6]&0x40 != 0, Packet: b[6]&0x20 != 0, FP: b[6]&0x10 != 0, DataMode: b[6] & 0x0F,
		LRAValid: b[7]&2 != 0, NWAValid: b[7]&1 != 0,
		Start: be32(b[8:12]), NextWritable: be32(b[12:16]), Free: be32(b[16:20]),
		PacketSize: be32(b[20:24]), Size: be32(b[24:28]),
	}
	if len(b) >= 32 {
		ti.LastRecorded = be32(b[28:32])
	}
	if len(b) >= 34 {
		ti.Track |= uint16(b[32]) << 8
		ti.Session |= uint16(b[33]) << 8
	}
	return ti, nil
}

// ReadCapacity reads the last recorded LBA and the block length
// (MMC-6 6.23).
type ReadCapacity struct{}

func (ReadCapacity) CDB() []byte { return []byte{byte(OpReadCapacity), 0, 0, 0, 0, 0, 0, 0, 0, 0} }

// Capacity is the READ CAPACITY response (MMC-6 6.23.3, table 294).
type Capacity struct {
	LastLBA     uint32 // bytes 0-3
	BlockLength uint32 // bytes 4-7
}

func (c ReadCapacity) Execute(t Transport) (*Capacity, error) {
	b, err := dataIn(t, "READ CAPACITY", c.CDB(), 8)
	if err != nil {
		return nil, err
	}
	return ParseCapacity(b)
}

// ParseCapacity decodes the 8-byte READ CAPACITY response.
func ParseCapacity(b []byte) (*Capacity, error) {
	if len(b) < 8 {
		return nil, badResponse("READ CAPACITY", "%d bytes, want 8", len(b))
	}
	return &Capacity{LastLBA: be32(b[0:4]), BlockLength: be32(b[4:8])}, nil
}

// ReadFormatCapacities lists the formats a medium accepts (MMC-6 6.24).
type ReadFormatCapacities struct {
	AllocationLength uint16 // bytes 7-8; 0 means 252
}

func (c ReadFormatCapacities) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpReadFormatCapacities)
	binary.BigEndian.PutUint16(cdb[7:], orDefault(c.AllocationLength, 252))
	return cdb
}

// Descriptor types of the current/maximum capacity descriptor
// (MMC-6 6.24.3.2, table 298).
const (
	CapacityUnformatted = 1
	CapacityFormatted   = 2
	CapacityNoMedia     = 3
)

// FormatCapacity is one formattable capacity descriptor (MMC-6 6.24.3.3).
type FormatCapacity struct {
	Blocks     uint32 // bytes 0-3
	FormatType uint8  // byte 4 bits 7-2
	Param      uint32 // bytes 5-7: type dependent parameter
}

// FormatCapacities is the READ FORMAT CAPACITIES response.
type FormatCapacities struct {
	CurrentBlocks uint32 // current/maximum descriptor bytes 0-3
	CurrentType   uint8  // byte 4 bits 1-0
	BlockLength   uint32 // bytes 5-7
	Formattable   []FormatCapacity
}

func (c ReadFormatCapacities) Execute(t Transport) (*FormatCapacities, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "READ FORMAT CAPACITIES", cdb, int(be16(cdb[7:])))
	if err != nil {
		return nil, err
	}
	return ParseFormatCapacities(b)
}

// ParseFormatCapacities decodes the capacity list header, the current
// capacity descriptor and the formattable descriptors.
func ParseFormatCapacities(b []byte) (*FormatCapacities, error) {
	if len(b) < 12 {
		return nil, badResponse("READ FORMAT CAPACITIES", "%d bytes, want at least 12", len(b))
	}
	n := int(b[3])
	if n%8 != 0 || n < 8 {
		return nil, badResponse("READ FORMAT CAPACITIES", "capacity list length %d, want a non-zero multiple of 8", n)
	}
	d := b[4:min(4+n, len(b))]
	fc := &FormatCapacities{CurrentBlocks: be32(d[0:4]), CurrentType: d[4] & 3, BlockLength: be32(d[4:8]) & 0xFFFFFF}
	for d = d[8:]; len(d) >= 8; d = d[8:] {
		fc.Formattable = append(fc.Formattable, FormatCapacity{Blocks: be32(d[0:4]), FormatType: d[4] >> 2, Param: be32(d[4:8]) & 0xFFFFFF})
	}
	return fc, nil
}

// Disc structure media types and format codes (MMC-6 6.22.2, tables 271
// and 287).
const (
	StructureMediaDVD     = 0x0
	StructureMediaBD      = 0x1
	FormatDiscInformation = 0x00
	FormatAACSMediaID     = 0x86 // AACS Media Identifier
)

// ReadDiscStructure reads a disc structure, e.g. the AACS media ID
// (MMC-6 6.22).
type ReadDiscStructure struct {
	MediaType        uint8  // byte 1 bits 3-0
	Address          uint32 // bytes 2-5
	Layer            uint8  // byte 6
	Format           uint8  // byte 7
	AllocationLength uint16 // bytes 8-9; 0 means 4100
	AGID             uint8  // byte 10 bits 7-6
}

func (c ReadDiscStructure) CDB() []byte {
	cdb := make([]byte, 12)
	cdb[0] = byte(OpReadDiscStructure)
	cdb[1] = c.MediaType & 0x0F
	binary.BigEndian.PutUint32(cdb[2:], c.Address)
	cdb[6] = c.Layer
	cdb[7] = c.Format
	binary.BigEndian.PutUint16(cdb[8:], orDefault(c.AllocationLength, 4100))
	cdb[10] = c.AGID << 6
	return cdb
}

// DiscStructure is a disc structure's payload after its 4-byte header
// (2-byte data length, 2 reserved).
type DiscStructure struct {
	Data []byte
}

func (c ReadDiscStructure) Execute(t Transport) (*DiscStructure, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "READ DISC STRUCTURE", cdb, int(be16(cdb[8:])))
	if err != nil {
		return nil, err
	}
	return ParseDiscStructure(b)
}

// ParseDiscStructure strips the header and bounds the payload by the
// data length field.
func ParseDiscStructure(b []byte) (*DiscStructure, error) {
	if len(b) < 4 {
		return nil, badResponse("READ DISC STRUCTURE", "%d bytes, want the 4-byte header", len(b))
	}
	n := int(be16(b[0:2])) + 2
	if n < 4 || n > len(b) {
		return nil, badResponse("READ DISC STRUCTURE", "data length %d with %d bytes received", n-2, len(b))
	}
	return &DiscStructure{Data: b[4:n:n]}, nil
}

// MediaIDLength is the length of an AACS media identifier and of its MAC.
const MediaIDLength = 16

// AACSMediaID splits a format 0x86 structure into media ID and MAC.
func (d *DiscStructure) AACSMediaID() (id, mac []byte, err error) {
	if len(d.Data) < 2*MediaIDLength {
		return nil, nil, fmt.Errorf("drive: READ DISC STRUCTURE: %w: media ID structure of %d bytes, want %d",
			ErrBadResponse, len(d.Data), 2*MediaIDLength)
	}
	return d.Data[:MediaIDLength:MediaIDLength], d.Data[MediaIDLength : 2*MediaIDLength : 2*MediaIDLength], nil
}

package drive

import "encoding/binary"

// maxDescriptors bounds descriptors decoded from one response.
const maxDescriptors = 1024

// Performance types of GET PERFORMANCE byte 10 (MMC-6 6.8.2.3, table 174).
const (
	PerfTypeNominal    = 0x00 // performance data
	PerfTypeWriteSpeed = 0x03 // write speed descriptors
)

// GetPerformance reads nominal performance or the write speeds the drive
// supports for the loaded medium (MMC-6 6.8).
type GetPerformance struct {
	DataType       uint8  // byte 1 bits 4-0 (type 0: tolerance, write, except)
	StartLBA       uint32 // bytes 2-5
	MaxDescriptors uint16 // bytes 8-9; 0 means 16
	Type           uint8  // byte 10
}

func (c GetPerformance) CDB() []byte {
	cdb := make([]byte, 12)
	cdb[0], cdb[1] = byte(OpGetPerformance), c.DataType&0x1F
	binary.BigEndian.PutUint32(cdb[2:], c.StartLBA)
	binary.BigEndian.PutUint16(cdb[8:], orDefault(c.MaxDescriptors, 16))
	cdb[10] = c.Type
	return cdb
}

// WriteSpeed is a write speed descriptor (MMC-6 6.8.2.6, table 181).
type WriteSpeed struct {
	WRC       uint8  // byte 0 bits 4-3: rotation control
	RDD       bool   // byte 0 bit 2
	Exact     bool   // byte 0 bit 1
	MRW       bool   // byte 0 bit 0
	EndLBA    uint32 // bytes 4-7
	ReadKBps  uint32 // bytes 8-11, kB/s (1000 bytes)
	WriteKBps uint32 // bytes 12-15
}

// NominalPerformance is a type 0 descriptor (MMC-6 6.8.2.4, table 177).
type NominalPerformance struct {
	StartLBA, StartKBps, EndLBA, EndKBps uint32
}

// PerformanceData is the GET PERFORMANCE response: header (data length,
// Write and Except bits) and the descriptors of the requested type.
type PerformanceData struct {
	Write   bool // header byte 4 bit 1
	Except  bool // header byte 4 bit 0
	Speeds  []WriteSpeed
	Nominal []NominalPerformance
}

func (c GetPerformance) Execute(t Transport) (*PerformanceData, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "GET PERFORMANCE", cdb, 8+16*int(be16(cdb[8:])))
	if err != nil {
		return nil, err
	}
	return ParsePerformance(b, c.Type)
}

// ParsePerformance decodes a GET PERFORMANCE response of the given type.
func ParsePerformance(b []byte, typ uint8) (*PerformanceData, error) {
	if len(b) < 8 {
		return nil, badResponse("GET PERFORMANCE", "%d bytes, want the 8-byte header", len(b))
	}
	n := int(min(be32(b[0:4]), 1<<24)) + 4
	if n < 8 {
		return nil, badResponse("GET PERFORMANCE", "data length %d shorter than the header", n-4)
	}
	p := &PerformanceData{Write: b[4]&2 != 0, Except: b[4]&1 != 0}
	d := b[8:min(n, len(b))]
	for ; len(d) >= 16 && len(p.Speeds)+len(p.Nominal) < maxDescriptors; d = d[16:] {
		switch typ {
		case PerfTypeWriteSpeed:
			p.Speeds = append(p.Speeds, WriteSpeed{
				WRC: d[0] >> 3 & 3, RDD: d[0]&4 != 0, Exact: d[0]&2 != 0, MRW: d[0]&1 != 0,
				EndLBA: be32(d[4:8]), ReadKBps: be32(d[8:12]), WriteKBps: be32(d[12:16]),
			})
		case PerfTypeNominal:
			p.Nominal = append(p.Nominal, NominalPerformance{be32(d[0:4]), be32(d[4:8]), be32(d[8:12]), be32(d[12:16])})
		default:
			return nil, badResponse("GET PERFORMANCE", "type 0x%02X not decoded", typ)
		}
	}
	return p, nil
}

// SetStreaming sets the drive's read and write speed with one performance
// descriptor (MMC-6 6.39, type 0).
type SetStreaming struct {
	WRC       uint8 // descriptor byte 0 bits 4-3
	RDD       bool  // byte 0 bit 2: restore drive defaults
	Exact     bool  // byte 0 bit 1
	RA        bool  // byte 0 bit 0: random access
	StartLBA  uint32
	EndLBA    uint32
	ReadSize  uint32 // kB per ReadTime
	ReadTime  uint32 // ms
	WriteSize uint32 // kB per WriteTime
	WriteTime uint32 // ms
}

// CDB: type 0 in byte 8, parameter list length 28 in bytes 9-10.
func (c SetStreaming) CDB() []byte {
	cdb := make([]byte, 12)
	cdb[0] = byte(OpSetStreaming)
	binary.BigEndian.PutUint16(cdb[9:], 28)
	return cdb
}

// Parameters is the 28-byte performance descriptor (MMC-6 6.39.3.1, table 361).
func (c SetStreaming) Parameters() []byte {
	p := make([]byte, 28)
	p[0] = (c.WRC&3)<<3 | bit(c.RDD, 2) | bit(c.Exact, 1) | bit(c.RA, 0)
	for i, v := range []uint32{c.StartLBA, c.EndLBA, c.ReadSize, c.ReadTime, c.WriteSize, c.WriteTime} {
		binary.BigEndian.PutUint32(p[4+4*i:], v)
	}
	return p
}

func (c SetStreaming) Execute(t Transport) error {
	_, err := execute(t, "SET STREAMING", c.CDB(), DirOut, c.Parameters(), 0)
	return err
}

// Mode page control values, MODE SENSE(10) byte 2 bits 7-6 (SPC-4 6.14).
const (
	PageControlCurrent    = 0
	PageControlChangeable = 1
	PageControlDefault    = 2
	PageControlSaved      = 3
)

// Mode pages an MMC drive reports (MMC-6 7).
const (
	ModePageWriteParameters = 0x05
	ModePageCaching         = 0x08
	ModePagePowerCondition  = 0x1A
	ModePageCapabilities    = 0x2A
	ModePageAll             = 0x3F
)

// ModeSense10 reads mode pages (SPC-4 6.14).
type ModeSense10 struct {
	LLBAA            bool   // byte 1 bit 4
	DBD              bool   // byte 1 bit 3
	PC               uint8  // byte 2 bits 7-6
	PageCode         uint8  // byte 2 bits 5-0
	Subpage          uint8  // byte 3
	AllocationLength uint16 // bytes 7-8; 0 means 4096
}

func (c ModeSense10) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpModeSense10)
	cdb[1] = bit(c.LLBAA, 4) | bit(c.DBD, 3)
	cdb[2] = c.PC<<6 | c.PageCode&0x3F
	cdb[3] = c.Subpage
	binary.BigEndian.PutUint16(cdb[7:], orDefault(c.AllocationLength, 4096))
	return cdb
}

// ModePage is one mode page (SPC-4 7.5.7).
type ModePage struct {
	PS      bool  // byte 0 bit 7
	SPF     bool  // byte 0 bit 6: sub-page format
	Code    uint8 // byte 0 bits 5-0
	Subpage uint8
	Data    []byte
}

// ModeParameters is a MODE SENSE(10) response: the 8-byte header, the block
// descriptors and the pages (SPC-4 7.5.5, table 454).
type ModeParameters struct {
	MediumType       uint8
	DeviceSpecific   uint8
	BlockDescriptors []byte
	Pages            []ModePage
}

func (c ModeSense10) Execute(t Transport) (*ModeParameters, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "MODE SENSE(10)", cdb, int(be16(cdb[7:])))
	if err != nil {
		return nil, err
	}
	return ParseModeSense10(b)
}

// ParseModeSense10 decodes a MODE SENSE(10) response.
func ParseModeSense10(b []byte) (*ModeParameters, error) {
	if len(b) < 8 {
		return nil, badResponse("MODE SENSE(10)", "%d bytes, want the 8-byte header", len(b))
	}
	n := min(int(be16(b[0:2]))+2, len(b))
	bd := int(be16(b[6:8]))
	if n < 8 || 8+bd > n {
		return nil, badResponse("MODE SENSE(10)", "mode data length %d, block descriptor length %d", n-2, bd)
	}
	m := &ModeParameters{MediumType: b[2], DeviceSpecific: b[3], BlockDescriptors: b[8 : 8+bd : 8+bd]}
	for d := b[8+bd : n]; len(d) >= 2 && len(m.Pages) < maxDescriptors; {
		pg := ModePage{PS: d[0]&0x80 != 0, SPF: d[0]&0x40 != 0, Code: d[0] & 0x3F}
		hdr, l := 2, int(d[1])
		if pg.SPF {
			if len(d) < 4 {
				break
			}
			hdr, l, pg.Subpage = 4, int(be16(d[2:4])), d[1]
		}
		if hdr+l > len(d) {
			break
		}
		pg.Data = d[hdr : hdr+l : hdr+l]
		m.Pages = append(m.Pages, pg)
		d = d[hdr+l:]
	}
	return m, nil
}

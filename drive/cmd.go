package drive

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Command timeouts. Short commands answer at once; the long ones cover a
// drive flushing its cache, closing a session or formatting a disc.
const (
	DefaultTimeout = 30 * time.Second
	LongTimeout    = 15 * time.Minute
)

// execute runs one command block and turns a CHECK CONDITION into a
// *SenseError and any other non-GOOD status into a typed error. It is the
// shared body of every Execute method.
func execute(t Transport, op string, cdb []byte, dir Direction, buf []byte, timeout time.Duration) (Result, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
		if ct, ok := t.(ctxTransport); ok && ct.def > 0 {
			timeout = ct.def
		}
	}
	res, err := t.Do(cdb, dir, buf, timeout)
	if err != nil {
		return res, fmt.Errorf("drive: %s: %w", op, err)
	}
	switch res.Status {
	case StatusGood, StatusConditionMet:
		return res, nil
	case StatusCheckCondition:
		s, err := ParseSense(res.Sense)
		if err != nil {
			return res, fmt.Errorf("drive: %s: CHECK CONDITION with unreadable sense %x: %w", op, res.Sense, err)
		}
		return res, NewSenseError(op, s)
	case StatusBusy, StatusTaskSetFull:
		return res, fmt.Errorf("drive: %s: status 0x%02X: %w", op, uint8(res.Status), ErrBusy)
	}
	return res, fmt.Errorf("drive: %s: unexpected status 0x%02X: %w", op, uint8(res.Status), ErrTransport)
}

// dataIn runs a data-in command with an allocation-length buffer and
// returns the bytes the device actually sent.
func dataIn(t Transport, op string, cdb []byte, alloc int) ([]byte, error) {
	buf := make([]byte, alloc)
	res, err := execute(t, op, cdb, DirIn, buf, 0)
	if err != nil {
		return nil, err
	}
	return buf[:min(max(res.Transferred, 0), len(buf))], nil
}

func badResponse(op, format string, args ...any) error {
	return fmt.Errorf("drive: %s: %w: %s", op, ErrBadResponse, fmt.Sprintf(format, args...))
}

func bit(b bool, n uint) byte {
	if b {
		return 1 << n
	}
	return 0
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func orDefault(n, def uint16) uint16 {
	if n == 0 {
		return def
	}
	return n
}

// TestUnitReady asks whether the drive can take medium-access commands
// (SPC-4 6.47).
type TestUnitReady struct{}

// CDB: opcode, four reserved bytes, control.
func (TestUnitReady) CDB() []byte { return []byte{byte(OpTestUnitReady), 0, 0, 0, 0, 0} }

// Execute returns nil when the unit is ready, a *SenseError otherwise.
func (c TestUnitReady) Execute(t Transport) error {
	_, err := execute(t, "TEST UNIT READY", c.CDB(), DirNone, nil, 0)
	return err
}

// RequestSense fetches the pending sense data (SPC-4 6.39).
type RequestSense struct {
	Desc             bool  // byte 1 bit 0: ask for descriptor format
	AllocationLength uint8 // byte 4; 0 means 252
}

func (c RequestSense) CDB() []byte {
	n := c.AllocationLength
	if n == 0 {
		n = 252
	}
	return []byte{byte(OpRequestSense), bit(c.Desc, 0), 0, 0, n, 0}
}

func (c RequestSense) Execute(t Transport) (*Sense, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "REQUEST SENSE", cdb, int(cdb[4]))
	if err != nil {
		return nil, err
	}
	s, err := ParseSense(b)
	if err != nil {
		return nil, fmt.Errorf("drive: REQUEST SENSE: %w", err)
	}
	return &s, nil
}

// Inquiry asks the drive who it is (SPC-4 6.6).
type Inquiry struct {
	EVPD             bool   // byte 1 bit 0: vital product data page
	PageCode         uint8  // byte 2
	AllocationLength uint16 // bytes 3-4; 0 means 96
}

func (c Inquiry) CDB() []byte {
	cdb := []byte{byte(OpInquiry), bit(c.EVPD, 0), c.PageCode, 0, 0, 0}
	binary.BigEndian.PutUint16(cdb[3:], orDefault(c.AllocationLength, 96))
	return cdb
}

// InquiryResponse is standard INQUIRY data (SPC-4 6.6.2, table 142).
type InquiryResponse struct {
	PeripheralType uint8 // byte 0 bits 4-0; 0x05 is an MMC device
	Removable      bool  // byte 1 bit 7
	Version        uint8 // byte 2
	Vendor         string
	Product        string
	Revision       string
}

func (c Inquiry) Execute(t Transport) (*InquiryResponse, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "INQUIRY", cdb, int(be16(cdb[3:])))
	if err != nil {
		return nil, err
	}
	return ParseInquiry(b)
}

// ParseInquiry decodes standard INQUIRY data.
func ParseInquiry(b []byte) (*InquiryResponse, error) {
	if len(b) < 36 {
		return nil, badResponse("INQUIRY", "%d bytes, want at least 36", len(b))
	}
	return &InquiryResponse{
		PeripheralType: b[0] & 0x1F,
		Removable:      b[1]&0x80 != 0,
		Version:        b[2],
		Vendor:         trimASCII(b[8:16]),
		Product:        trimASCII(b[16:32]),
		Revision:       trimASCII(b[32:36]),
	}, nil
}

// trimASCII keeps printable ASCII and drops trailing spaces and NULs.
func trimASCII(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7F {
			out = append(out, c)
		} else {
			out = append(out, '?')
		}
	}
	for len(out) > 0 && (out[len(out)-1] == ' ' || out[len(out)-1] == '?') {
		out = out[:len(out)-1]
	}
	return string(out)
}

// StartStopUnit loads or ejects the medium (MMC-6 6.40).
type StartStopUnit struct {
	Immed          bool  // byte 1 bit 0
	PowerCondition uint8 // byte 4 bits 7-4
	LoEj           bool  // byte 4 bit 1: load (with Start) or eject (without)
	Start          bool  // byte 4 bit 0
}

func (c StartStopUnit) CDB() []byte {
	return []byte{byte(OpStartStopUnit), bit(c.Immed, 0), 0, 0, c.PowerCondition<<4 | bit(c.LoEj, 1) | bit(c.Start, 0), 0}
}

func (c StartStopUnit) Execute(t Transport) error {
	_, err := execute(t, "START STOP UNIT", c.CDB(), DirNone, nil, 0)
	return err
}

// PreventAllowMediumRemoval locks or unlocks the tray (MMC-6 6.12).
type PreventAllowMediumRemoval struct {
	Persistent bool // byte 4 bit 1
	Prevent    bool // byte 4 bit 0
}

func (c PreventAllowMediumRemoval) CDB() []byte {
	return []byte{byte(OpPreventAllowMediumRemoval), 0, 0, 0, bit(c.Persistent, 1) | bit(c.Prevent, 0), 0}
}

func (c PreventAllowMediumRemoval) Execute(t Transport) error {
	_, err := execute(t, "PREVENT ALLOW MEDIUM REMOVAL", c.CDB(), DirNone, nil, 0)
	return err
}

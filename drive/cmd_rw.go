package drive

import (
	"encoding/binary"
	"fmt"
	"time"
)

func checkLen(op string, p []byte, blocks uint32) error {
	if uint64(len(p)) != uint64(blocks)*SectorSize {
		return fmt.Errorf("drive: %s: buffer of %d bytes for %d sectors: %w", op, len(p), blocks, ErrIllegalRequest)
	}
	return nil
}

// Read10 reads sectors (MMC-6 6.15).
type Read10 struct {
	FUA    bool   // byte 1 bit 3
	LBA    uint32 // bytes 2-5
	Blocks uint16 // bytes 7-8
	Buf    []byte // Blocks*2048 bytes, filled by Execute
}

func (c Read10) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0], cdb[1] = byte(OpRead10), bit(c.FUA, 3)
	binary.BigEndian.PutUint32(cdb[2:], c.LBA)
	binary.BigEndian.PutUint16(cdb[7:], c.Blocks)
	return cdb
}

func (c Read10) Execute(t Transport) error {
	if err := checkLen("READ(10)", c.Buf, uint32(c.Blocks)); err != nil {
		return err
	}
	return transfer(t, "READ(10)", c.CDB(), DirIn, c.Buf, 0)
}

// Read12 reads sectors with a 32-bit length and the streaming bit
// (MMC-6 6.16).
type Read12 struct {
	FUA       bool   // byte 1 bit 3
	LBA       uint32 // bytes 2-5
	Blocks    uint32 // bytes 6-9
	Streaming bool   // byte 10 bit 7
	Buf       []byte
}

func (c Read12) CDB() []byte {
	cdb := make([]byte, 12)
	cdb[0], cdb[1] = byte(OpRead12), bit(c.FUA, 3)
	binary.BigEndian.PutUint32(cdb[2:], c.LBA)
	binary.BigEndian.PutUint32(cdb[6:], c.Blocks)
	cdb[10] = bit(c.Streaming, 7)
	return cdb
}

func (c Read12) Execute(t Transport) error {
	if err := checkLen("READ(12)", c.Buf, c.Blocks); err != nil {
		return err
	}
	return transfer(t, "READ(12)", c.CDB(), DirIn, c.Buf, 0)
}

// Write10 writes sectors (MMC-6 6.44).
type Write10 struct {
	FUA    bool   // byte 1 bit 3
	LBA    uint32 // bytes 2-5
	Blocks uint16 // bytes 7-8
	Data   []byte
}

func (c Write10) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0], cdb[1] = byte(OpWrite10), bit(c.FUA, 3)
	binary.BigEndian.PutUint32(cdb[2:], c.LBA)
	binary.BigEndian.PutUint16(cdb[7:], c.Blocks)
	return cdb
}

func (c Write10) Execute(t Transport) error {
	if err := checkLen("WRITE(10)", c.Data, uint32(c.Blocks)); err != nil {
		return err
	}
	return transfer(t, "WRITE(10)", c.CDB(), DirOut, c.Data, 0)
}

// Write12 writes sectors; the streaming bit asks the drive to favour
// throughput over defect management (MMC-6 6.45).
type Write12 struct {
	FUA       bool   // byte 1 bit 3
	LBA       uint32 // bytes 2-5
	Blocks    uint32 // bytes 6-9
	Streaming bool   // byte 10 bit 7
	Data      []byte
}

func (c Write12) CDB() []byte {
	cdb := make([]byte, 12)
	cdb[0], cdb[1] = byte(OpWrite12), bit(c.FUA, 3)
	binary.BigEndian.PutUint32(cdb[2:], c.LBA)
	binary.BigEndian.PutUint32(cdb[6:], c.Blocks)
	cdb[10] = bit(c.Streaming, 7)
	return cdb
}

func (c Write12) Execute(t Transport) error {
	if err := checkLen("WRITE(12)", c.Data, c.Blocks); err != nil {
		return err
	}
	return transfer(t, "WRITE(12)", c.CDB(), DirOut, c.Data, 0)
}

// transfer runs a read or write and insists every byte moved.
func transfer(t Transport, op string, cdb []byte, dir Direction, buf []byte, timeout time.Duration) error {
	res, err := execute(t, op, cdb, dir, buf, timeout)
	if err != nil {
		return err
	}
	if res.Transferred != len(buf) {
		return fmt.Errorf("drive: %s: %d of %d bytes transferred: %w", op, res.Transferred, len(buf), ErrTransport)
	}
	return nil
}

// SynchronizeCache writes the drive's cache to the medium (MMC-6 6.41).
type SynchronizeCache struct {
	Immed   bool   // byte 1 bit 1: return at once, poll with TEST UNIT READY
	LBA     uint32 // bytes 2-5
	Blocks  uint16 // bytes 7-8 (0: to the end)
	Timeout time.Duration
}

func (c SynchronizeCache) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0], cdb[1] = byte(OpSynchronizeCache), bit(c.Immed, 1)
	binary.BigEndian.PutUint32(cdb[2:], c.LBA)
	binary.BigEndian.PutUint16(cdb[7:], c.Blocks)
	return cdb
}

func (c SynchronizeCache) Execute(t Transport) error {
	_, err := execute(t, "SYNCHRONIZE CACHE", c.CDB(), DirNone, nil, longTimeout(c.Timeout))
	return err
}

func longTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return LongTimeout
	}
	return d
}

// CloseFunction is CLOSE TRACK/SESSION byte 2 bits 2-0 (MMC-6 6.3.2.2;
// BD-R, table 213).
type CloseFunction uint8

const (
	CloseTrack    CloseFunction = 0x1 // close the logical track
	CloseSession  CloseFunction = 0x2 // close the session, disc stays appendable
	CloseFinalize CloseFunction = 0x6 // close the session and finalise the disc
)

// CloseTrackSession closes a track or session, or finalises (MMC-6 6.3).
type CloseTrackSession struct {
	Immed    bool          // byte 1 bit 0
	Function CloseFunction // byte 2 bits 2-0
	Number   uint16        // bytes 4-5: track number (close track)
	Timeout  time.Duration
}

func (c CloseTrackSession) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0], cdb[1], cdb[2] = byte(OpCloseTrackSession), bit(c.Immed, 0), byte(c.Function)&7
	binary.BigEndian.PutUint16(cdb[4:], c.Number)
	return cdb
}

func (c CloseTrackSession) Execute(t Transport) error {
	_, err := execute(t, "CLOSE TRACK/SESSION", c.CDB(), DirNone, nil, longTimeout(c.Timeout))
	return err
}

// ReserveTrack reserves a track of Size sectors on sequential media
// (MMC-6 6.31, ARSV=0 form).
type ReserveTrack struct {
	Size uint32 // bytes 5-8: reservation size in blocks
}

func (c ReserveTrack) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpReserveTrack)
	binary.BigEndian.PutUint32(cdb[5:], c.Size)
	return cdb
}

func (c ReserveTrack) Execute(t Transport) error {
	_, err := execute(t, "RESERVE TRACK", c.CDB(), DirNone, nil, 0)
	return err
}

// BD-RE format types of the format descriptor (MMC-6 6.5.4.2, table 229).
const (
	FormatTypeFull        = 0x00 // full format
	FormatTypeBDWithSpare = 0x30 // BD-RE with spare areas
	FormatTypeBDNoSpare   = 0x31 // BD-RE without spare areas
)

// FormatUnit formats a BD-RE (MMC-6 6.5): the CDB with FmtData set and a
// 12-byte parameter list (format list header and one format descriptor).
type FormatUnit struct {
	Immed      bool   // header byte 1 bit 1
	Blocks     uint32 // descriptor bytes 0-3
	FormatType uint8  // descriptor byte 4 bits 7-2
	Subtype    uint8  // descriptor byte 4 bits 1-0
	Param      uint32 // descriptor bytes 5-7
	Timeout    time.Duration
}

// CDB: FmtData (byte 1 bit 4) set, format code 001 (bits 2-0).
func (c FormatUnit) CDB() []byte { return []byte{byte(OpFormatUnit), 0x11, 0, 0, 0, 0} }

// Parameters returns the parameter list: header (reserved, flags, 2-byte
// descriptor length 8) and the format descriptor.
func (c FormatUnit) Parameters() []byte {
	p := make([]byte, 12)
	p[1] = 0x80 | bit(c.Immed, 1) // FOV so that IMMED counts
	binary.BigEndian.PutUint16(p[2:], 8)
	binary.BigEndian.PutUint32(p[4:], c.Blocks)
	binary.BigEndian.PutUint32(p[8:], c.Param&0xFFFFFF)
	p[8] = c.FormatType<<2 | c.Subtype&3
	return p
}

func (c FormatUnit) Execute(t Transport) error {
	_, err := execute(t, "FORMAT UNIT", c.CDB(), DirOut, c.Parameters(), longTimeout(c.Timeout))
	return err
}

package serial

import (
	"encoding/binary"
	"fmt"
	"time"

	"copystation/drive"
)

// MaxCDB is the longest command block the link carries (MMC uses 6, 10, 12
// and 16 bytes).
const MaxCDB = 16

// maxSense bounds sense data in a Response (SPC-4 allows 252 bytes).
const maxSense = 252

// maxMessage bounds the text of a Failure frame.
const maxMessage = 1024

// command is the payload of a TypeCommand frame:
//
//	0-3   timeout in milliseconds, big-endian
//	4     direction (0 none, 1 in, 2 out)
//	5     CDB length (1..16)
//	6-9   data-in length the host expects, big-endian (0 unless direction is in)
//	10..  CDB, then the data-out bytes (direction out only)
type command struct {
	timeout time.Duration
	dir     drive.Direction
	cdb     []byte
	inLen   uint32
	out     []byte
}

const commandFixed = 10

func (c *command) append(dst []byte) []byte {
	ms := c.timeout.Milliseconds()
	if ms > 0xFFFFFFFF {
		ms = 0xFFFFFFFF
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(ms))
	dst = append(dst, byte(c.dir), byte(len(c.cdb)))
	dst = binary.BigEndian.AppendUint32(dst, c.inLen)
	dst = append(dst, c.cdb...)
	return append(dst, c.out...)
}

func parseCommand(p []byte, maxPayload int) (command, error) {
	if len(p) < commandFixed {
		return command{}, fmt.Errorf("%w: command payload of %d bytes, want at least %d", ErrMalformed, len(p), commandFixed)
	}
	c := command{
		timeout: time.Duration(binary.BigEndian.Uint32(p[0:4])) * time.Millisecond,
		dir:     drive.Direction(p[4]),
		inLen:   binary.BigEndian.Uint32(p[6:10]),
	}
	n := int(p[5])
	switch {
	case c.dir > drive.DirOut:
		return command{}, fmt.Errorf("%w: direction %d", ErrMalformed, c.dir)
	case n == 0 || n > MaxCDB || commandFixed+n > len(p):
		return command{}, fmt.Errorf("%w: CDB length %d in a %d-byte payload", ErrMalformed, n, len(p))
	case c.dir != drive.DirIn && c.inLen != 0:
		return command{}, fmt.Errorf("%w: data-in length %d without direction in", ErrMalformed, c.inLen)
	case uint64(c.inLen)+responseFixed+maxSense > uint64(maxPayload):
		return command{}, fmt.Errorf("%w: data-in length %d does not fit a %d-byte response payload", ErrPayloadTooLarge, c.inLen, maxPayload)
	}
	c.cdb = p[commandFixed : commandFixed+n]
	c.out = p[commandFixed+n:]
	if c.dir != drive.DirOut && len(c.out) != 0 {
		return command{}, fmt.Errorf("%w: %d data-out bytes without direction out", ErrMalformed, len(c.out))
	}
	return c, nil
}

// response is the payload of a TypeResponse frame:
//
//	0     SCSI status
//	1     sense length (0..252)
//	2-5   bytes transferred, big-endian
//	6..   sense, then the data-in bytes (direction in only)
type response struct {
	status      drive.Status
	sense       []byte
	transferred uint32
	in          []byte
}

const responseFixed = 6

func (r *response) append(dst []byte) []byte {
	dst = append(dst, byte(r.status), byte(len(r.sense)))
	dst = binary.BigEndian.AppendUint32(dst, r.transferred)
	dst = append(dst, r.sense...)
	return append(dst, r.in...)
}

func parseResponse(p []byte) (response, error) {
	if len(p) < responseFixed {
		return response{}, fmt.Errorf("%w: response payload of %d bytes, want at least %d", ErrMalformed, len(p), responseFixed)
	}
	r := response{status: drive.Status(p[0]), transferred: binary.BigEndian.Uint32(p[2:6])}
	n := int(p[1])
	if n > maxSense || responseFixed+n > len(p) {
		return response{}, fmt.Errorf("%w: sense length %d in a %d-byte payload", ErrMalformed, n, len(p))
	}
	if n > 0 {
		r.sense = p[responseFixed : responseFixed+n]
	}
	r.in = p[responseFixed+n:]
	if uint64(len(r.in)) > uint64(r.transferred) {
		return response{}, fmt.Errorf("%w: %d data bytes but %d transferred", ErrMalformed, len(r.in), r.transferred)
	}
	return r, nil
}

// Failure codes of a TypeFailure frame (payload: code byte, UTF-8 message).
const (
	failOther     = 0 // the device's transport returned an error
	failTimeout   = 1 // the command exceeded its timeout on the device
	failBusy      = 2 // another command is still running
	failMalformed = 3 // the Command payload did not parse
)

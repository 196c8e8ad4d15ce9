package drive

import "time"

// Direction says which way a command's data phase moves.
type Direction uint8

const (
	// DirNone: the command has no data phase.
	DirNone Direction = iota
	// DirIn: data moves from the device into the buffer (READ, INQUIRY).
	DirIn
	// DirOut: data moves from the buffer to the device (WRITE, MODE SELECT).
	DirOut
)

// Status is the SCSI status byte a device returns (SAM-5, section 5.3).
type Status uint8

const (
	StatusGood                Status = 0x00
	StatusCheckCondition      Status = 0x02
	StatusConditionMet        Status = 0x04
	StatusBusy                Status = 0x08
	StatusReservationConflict Status = 0x18
	StatusTaskSetFull         Status = 0x28
	StatusACAActive           Status = 0x30
	StatusTaskAborted         Status = 0x40
)

// Result is what a device answered to one command block.
type Result struct {
	// Status is the SCSI status byte.
	Status Status
	// Sense holds the sense data returned with CHECK CONDITION (fixed or
	// descriptor format), nil otherwise.
	Sense []byte
	// Transferred is the number of data bytes actually moved.
	Transferred int
}

// Transport runs one command block against a device. buf is the data-out
// payload for DirOut and the buffer to fill for DirIn. A returned error means
// the command did not complete (device gone, host or driver failure, deadline);
// a completed command returns its status and sense in Result with a nil error.
type Transport interface {
	Do(cdb []byte, dir Direction, buf []byte, timeout time.Duration) (Result, error)
}

// TransportCloser is a Transport that owns a resource (a file descriptor, a
// serial line, a simulator) released by Close.
type TransportCloser interface {
	Transport
	Close() error
}

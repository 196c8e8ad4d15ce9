package drive

import (
	"errors"
	"fmt"
)

// Sentinel errors. A *SenseError matches, under errors.Is, the sentinels
// its sense key and ASC/ASCQ imply (see SenseError.Is); transports wrap
// ErrTimeout and ErrTransport.
var (
	// ErrTimeout: a command did not complete within its deadline.
	ErrTimeout = errors.New("drive: command timed out")
	// ErrTransport: the command could not be delivered or its answer was
	// lost (host adapter, driver or link failure).
	ErrTransport = errors.New("drive: transport failure")
	// ErrBusy: the device answered BUSY or TASK SET FULL; try again later.
	ErrBusy = errors.New("drive: device busy")
	// ErrBadResponse: the device's response data does not parse.
	ErrBadResponse = errors.New("drive: malformed response")

	ErrNotReady            = errors.New("drive: not ready")
	ErrBecomingReady       = errors.New("drive: becoming ready")
	ErrLongWriteInProgress = errors.New("drive: long write in progress")
	ErrMediumNotPresent    = errors.New("drive: no medium")
	ErrMediumError         = errors.New("drive: medium error")
	ErrWriteError          = errors.New("drive: write error")
	ErrUnrecoveredRead     = errors.New("drive: unrecovered read error")
	ErrHardwareError       = errors.New("drive: hardware error")
	ErrIllegalRequest      = errors.New("drive: illegal request")
	ErrInvalidAddress      = errors.New("drive: invalid address")
	ErrUnitAttention       = errors.New("drive: unit attention")
	ErrDataProtect         = errors.New("drive: medium write-protected")
	ErrBlankCheck          = errors.New("drive: blank sector")
	ErrAborted             = errors.New("drive: command aborted")
	ErrIncompatibleMedium  = errors.New("drive: incompatible medium")

	// ErrNotRewritable: the medium cannot be formatted or blanked (a BD-R,
	// a pressed disc); only a BD-RE can.
	ErrNotRewritable = errors.New("drive: medium is not rewritable")
	// ErrNotFormatted: a BD-RE that was never formatted; format it first.
	ErrNotFormatted = errors.New("drive: BD-RE not formatted")
)

// SenseError is a command that ended in CHECK CONDITION, with its decoded
// sense. errors.Is compares it with the sentinels above; errors.As
// extracts it.
type SenseError struct {
	Op   string   // the command, e.g. "WRITE(12)"
	Key  SenseKey // sense key
	ASC  uint8    // additional sense code
	ASCQ uint8    // additional sense code qualifier
	// LBA is the INFORMATION field (the block at fault) when LBAValid.
	LBA      uint32
	LBAValid bool
	Sense    Sense
}

// NewSenseError builds a SenseError for op from decoded sense.
func NewSenseError(op string, s Sense) *SenseError {
	lba, ok := s.LBA()
	return &SenseError{Op: op, Key: s.Key, ASC: s.Code.ASC(), ASCQ: s.Code.Qualifier(), LBA: lba, LBAValid: ok, Sense: s}
}

// Code is ASC and ASCQ as one typed value.
func (e *SenseError) Code() ASCQ { return ASCQ(uint16(e.ASC)<<8 | uint16(e.ASCQ)) }

func (e *SenseError) Error() string {
	return fmt.Sprintf("drive: %s: %v", e.Op, e.Sense)
}

// Is reports whether target is one of the sentinels this sense implies.
func (e *SenseError) Is(target error) bool {
	code := e.Code()
	switch target {
	case ErrNotReady:
		return e.Key == KeyNotReady
	case ErrBecomingReady:
		return e.Key == KeyNotReady && code == ASCBecomingReady
	case ErrLongWriteInProgress:
		return e.Key == KeyNotReady && (code == ASCLongWriteInProgress || code == ASCOperationInProgress)
	case ErrMediumNotPresent:
		return e.ASC == ASCMediumNotPresent.ASC()
	case ErrMediumError:
		return e.Key == KeyMediumError
	case ErrWriteError:
		return e.ASC == ASCWriteError.ASC()
	case ErrUnrecoveredRead:
		return e.ASC == ASCUnrecoveredReadError.ASC()
	case ErrHardwareError:
		return e.Key == KeyHardwareError
	case ErrIllegalRequest:
		return e.Key == KeyIllegalRequest
	case ErrInvalidAddress:
		return code == ASCLBAOutOfRange || code == ASCInvalidAddressForWrite
	case ErrUnitAttention:
		return e.Key == KeyUnitAttention
	case ErrDataProtect:
		return e.Key == KeyDataProtect || code == ASCWriteProtected
	case ErrBlankCheck:
		return e.Key == KeyBlankCheck
	case ErrAborted:
		return e.Key == KeyAbortedCommand
	case ErrIncompatibleMedium:
		return e.ASC == ASCIncompatibleMedium.ASC()
	}
	return false
}

// Retryable reports whether the condition passes by itself: the drive is
// becoming ready, busy with a long write or operation, or the command was
// aborted.
func (e *SenseError) Retryable() bool {
	code := e.Code()
	switch {
	case e.Key == KeyNotReady:
		return code == ASCBecomingReady || code == ASCLongWriteInProgress ||
			code == ASCOperationInProgress || code == ASCFormatInProgress || code == ASCNotReadyCauseNotReported
	case e.Key == KeyAbortedCommand:
		return true
	}
	return false
}

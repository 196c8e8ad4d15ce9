package burn

import (
	"errors"
	"fmt"
)

// Phase is a step of a copy or of reading a disc.
type Phase string

// Phases, in the order a copy runs them.
const (
	PhaseAuthenticate Phase = "authenticating"
	PhaseCheck        Phase = "checking media"
	PhaseWrite        Phase = "writing"
	PhaseSync         Phase = "syncing"
	PhaseVerify       Phase = "verifying"
	PhaseFinalise     Phase = "finalising"
	PhaseDone         Phase = "done"
	PhaseRead         Phase = "reading" // the player
)

// Sentinel errors, wrapped in *Error.
var (
	// ErrPackage: the title package failed authentication.
	ErrPackage = errors.New("burn: title package failed authentication")
	// ErrWrongDisc: the disc in the drive is not the blank the copy keys
	// were released for, or not a usable blank of the right kind.
	ErrWrongDisc = errors.New("burn: wrong disc in the drive")
	// ErrNoRoom: the blank is too small for the copy.
	ErrNoRoom = errors.New("burn: not enough room on the disc")
	// ErrJob: the job's inputs are unusable (missing keys, short codeword).
	ErrJob = errors.New("burn: invalid copy job")
	// ErrVerify: a sector read back differs from what was written.
	ErrVerify = errors.New("burn: read-back verification failed")
	// ErrClone: the disc's header names another media ID than the drive
	// reports: a bit-for-bit copy onto another blank.
	ErrClone = errors.New("burn: disc is a copy of another disc (media ID mismatch)")
	// ErrIntegrity: a cluster read from a disc does not match its tag.
	ErrIntegrity = errors.New("burn: disc integrity check failed")
)

// Error is a failed copy or read: what went wrong, in which phase, and at
// which sector.
type Error struct {
	Phase Phase
	// LBA is the sector at fault when HasLBA: from the drive's sense when it
	// names one, else the first sector of the unit that failed.
	LBA    uint32
	HasLBA bool
	// Spoiled is true once anything was written to the disc: the blank
	// can't be used again and the copy must be reported spoiled.
	Spoiled bool
	Err     error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("burn: %s", e.Phase)
	if e.HasLBA {
		s += fmt.Sprintf(" at LBA %d", e.LBA)
	}
	if e.Spoiled {
		s += " (disc spoiled)"
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

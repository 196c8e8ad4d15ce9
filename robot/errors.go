package robot

import (
	"errors"
	"fmt"
)

// Sentinels a *DeviceError matches, one per error code of the protocol.
var (
	ErrJam          = errors.New("robot: mechanism jammed; clear it and send RESET")
	ErrInputEmpty   = errors.New("robot: input bin empty; add blanks")
	ErrGripperFull  = errors.New("robot: gripper already holds a disc")
	ErrGripperEmpty = errors.New("robot: gripper holds no disc; PICK first")
	ErrDriveFull    = errors.New("robot: drive already holds a disc")
	ErrDriveEmpty   = errors.New("robot: drive holds no disc")
	ErrTrayClosed   = errors.New("robot: drive tray closed; eject the disc first")
	ErrNoDrive      = errors.New("robot: no such drive")
	ErrBinFull      = errors.New("robot: output or reject bin full; empty it")
	ErrBadCommand   = errors.New("robot: robot refused the command as malformed")
	// ErrDevice matches every *DeviceError, including unknown codes.
	ErrDevice = errors.New("robot: device refused the command")
	// ErrTimeout: no reply arrived before the deadline.
	ErrTimeout = errors.New("robot: no reply before the deadline")
	// ErrClosed: the client was closed or its line failed.
	ErrClosed = errors.New("robot: line closed")
)

var codes = map[string]error{
	"JAM":           ErrJam,
	"JAMMED":        ErrJam,
	"INPUT_EMPTY":   ErrInputEmpty,
	"GRIPPER_FULL":  ErrGripperFull,
	"GRIPPER_EMPTY": ErrGripperEmpty,
	"DRIVE_FULL":    ErrDriveFull,
	"DRIVE_EMPTY":   ErrDriveEmpty,
	"TRAY_CLOSED":   ErrTrayClosed,
	"NO_DRIVE":      ErrNoDrive,
	"BIN_FULL":      ErrBinFull,
	"BADCMD":        ErrBadCommand,
}

// Code returns the protocol code for a sentinel, "" if none; the device
// side uses it to answer.
func Code(err error) string {
	for _, c := range []string{"JAM", "INPUT_EMPTY", "GRIPPER_FULL", "GRIPPER_EMPTY", "DRIVE_FULL",
		"DRIVE_EMPTY", "TRAY_CLOSED", "NO_DRIVE", "BIN_FULL", "BADCMD"} {
		if errors.Is(err, codes[c]) {
			return c
		}
	}
	return ""
}

// DeviceError is an ERR reply: the robot refused or failed a command.
type DeviceError struct {
	Op      string // the command, e.g. "LOAD 1"
	Code    string // the protocol error code, e.g. "JAM"
	Message string // the robot's words, if any
}

func (e *DeviceError) Error() string {
	s := fmt.Sprintf("robot %s: %s", e.Op, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if sentinel, ok := codes[e.Code]; ok {
		s += " (" + sentinel.Error() + ")"
	}
	return s
}

// Is matches ErrDevice and the sentinel of the error's code.
func (e *DeviceError) Is(target error) bool {
	return target == ErrDevice || (codes[e.Code] != nil && codes[e.Code] == target)
}

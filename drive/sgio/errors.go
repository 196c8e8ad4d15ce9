package sgio

import (
	"errors"
	"fmt"

	"copystation/drive"
)

var (
	// ErrUnsupported: this platform has no SG_IO.
	ErrUnsupported = errors.New("sgio: SG_IO is only available on Linux")
	// ErrNotSCSI: the file does not answer SCSI generic ioctls.
	ErrNotSCSI = errors.New("sgio: not a SCSI generic or CD-ROM device")
)

// HostStatus is sg_io_hdr.host_status, the host adapter's verdict (the
// kernel's DID_* codes, include/scsi/scsi_status.h).
type HostStatus uint16

const (
	HostOK                 HostStatus = 0x00
	HostNoConnect          HostStatus = 0x01
	HostBusBusy            HostStatus = 0x02
	HostTimeOut            HostStatus = 0x03
	HostBadTarget          HostStatus = 0x04
	HostAbort              HostStatus = 0x05
	HostParity             HostStatus = 0x06
	HostError              HostStatus = 0x07
	HostReset              HostStatus = 0x08
	HostBadIntr            HostStatus = 0x09
	HostPassthrough        HostStatus = 0x0A
	HostSoftError          HostStatus = 0x0B
	HostImmRetry           HostStatus = 0x0C
	HostRequeue            HostStatus = 0x0D
	HostTransportDisrupted HostStatus = 0x0E
	HostTransportFailfast  HostStatus = 0x0F
)

var hostNames = map[HostStatus]string{
	HostOK: "DID_OK", HostNoConnect: "DID_NO_CONNECT", HostBusBusy: "DID_BUS_BUSY", HostTimeOut: "DID_TIME_OUT",
	HostBadTarget: "DID_BAD_TARGET", HostAbort: "DID_ABORT", HostParity: "DID_PARITY", HostError: "DID_ERROR",
	HostReset: "DID_RESET", HostBadIntr: "DID_BAD_INTR", HostPassthrough: "DID_PASSTHROUGH", HostSoftError: "DID_SOFT_ERROR",
	HostImmRetry: "DID_IMM_RETRY", HostRequeue: "DID_REQUEUE", HostTransportDisrupted: "DID_TRANSPORT_DISRUPTED",
	HostTransportFailfast: "DID_TRANSPORT_FAILFAST",
}

func (s HostStatus) String() string {
	if n, ok := hostNames[s]; ok {
		return n
	}
	return fmt.Sprintf("host status 0x%02X", uint16(s))
}

// DriverStatus is sg_io_hdr.driver_status: the low nibble is the kernel's
// DRIVER_* code, the high nibble a SUGGEST_* hint.
type DriverStatus uint16

const (
	DriverOK      DriverStatus = 0x00
	DriverBusy    DriverStatus = 0x01
	DriverSoft    DriverStatus = 0x02
	DriverMedia   DriverStatus = 0x03
	DriverError   DriverStatus = 0x04
	DriverInvalid DriverStatus = 0x05
	DriverTimeout DriverStatus = 0x06
	DriverHard    DriverStatus = 0x07
	DriverSense   DriverStatus = 0x08 // sense data is valid: normal with CHECK CONDITION
)

// Code is the DRIVER_* code without the suggestion bits.
func (s DriverStatus) Code() DriverStatus { return s & 0x0F }

// HostFailure is a command the host adapter did not complete.
type HostFailure struct {
	Op     string
	Status HostStatus
}

func (e *HostFailure) Error() string {
	return fmt.Sprintf("sgio: %s: host adapter reported %v", e.Op, e.Status)
}

// Is matches drive.ErrTimeout for DID_TIME_OUT, drive.ErrTransport otherwise.
func (e *HostFailure) Is(target error) bool {
	if e.Status == HostTimeOut {
		return target == drive.ErrTimeout
	}
	return target == drive.ErrTransport
}

// DriverFailure is a command the kernel driver failed.
type DriverFailure struct {
	Op     string
	Status DriverStatus
}

func (e *DriverFailure) Error() string {
	return fmt.Sprintf("sgio: %s: driver status 0x%02X", e.Op, uint16(e.Status))
}

// Is matches drive.ErrTimeout for DRIVER_TIMEOUT, drive.ErrTransport otherwise.
func (e *DriverFailure) Is(target error) bool {
	if e.Status.Code() == DriverTimeout {
		return target == drive.ErrTimeout
	}
	return target == drive.ErrTransport
}

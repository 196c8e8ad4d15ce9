package drive

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SenseKey is the sense key of a CHECK CONDITION (SPC-4 section 4.5.6,
// table 54).
type SenseKey uint8

const (
	KeyNoSense        SenseKey = 0x0
	KeyRecoveredError SenseKey = 0x1
	KeyNotReady       SenseKey = 0x2
	KeyMediumError    SenseKey = 0x3
	KeyHardwareError  SenseKey = 0x4
	KeyIllegalRequest SenseKey = 0x5
	KeyUnitAttention  SenseKey = 0x6
	KeyDataProtect    SenseKey = 0x7
	KeyBlankCheck     SenseKey = 0x8
	KeyVendorSpecific SenseKey = 0x9
	KeyCopyAborted    SenseKey = 0xA
	KeyAbortedCommand SenseKey = 0xB
	KeyVolumeOverflow SenseKey = 0xD
	KeyMiscompare     SenseKey = 0xE
)

var senseKeyNames = map[SenseKey]string{
	KeyNoSense: "NO SENSE", KeyRecoveredError: "RECOVERED ERROR", KeyNotReady: "NOT READY",
	KeyMediumError: "MEDIUM ERROR", KeyHardwareError: "HARDWARE ERROR", KeyIllegalRequest: "ILLEGAL REQUEST",
	KeyUnitAttention: "UNIT ATTENTION", KeyDataProtect: "DATA PROTECT", KeyBlankCheck: "BLANK CHECK",
	KeyVendorSpecific: "VENDOR SPECIFIC", KeyCopyAborted: "COPY ABORTED", KeyAbortedCommand: "ABORTED COMMAND",
	KeyVolumeOverflow: "VOLUME OVERFLOW", KeyMiscompare: "MISCOMPARE",
}

func (k SenseKey) String() string {
	if s, ok := senseKeyNames[k]; ok {
		return s
	}
	return fmt.Sprintf("SenseKey(0x%X)", uint8(k))
}

// ASCQ is an additional sense code and its qualifier, ASC<<8 | ASCQ. Values
// come from SPC-4 Annex D (table D.1) and MMC-6 Annex F (table F.1).
type ASCQ uint16

const (
	ASCNoAdditionalSense         ASCQ = 0x0000
	ASCNotReadyCauseNotReported  ASCQ = 0x0400
	ASCBecomingReady             ASCQ = 0x0401
	ASCNotReadyInitRequired      ASCQ = 0x0402
	ASCFormatInProgress          ASCQ = 0x0404
	ASCOperationInProgress       ASCQ = 0x0407
	ASCLongWriteInProgress       ASCQ = 0x0408
	ASCWriteError                ASCQ = 0x0C00
	ASCWriteErrorRecoveryNeeded  ASCQ = 0x0C07
	ASCWriteErrorLossOfStreaming ASCQ = 0x0C09
	ASCUnrecoveredReadError      ASCQ = 0x1100
	ASCParameterListLength       ASCQ = 0x1A00
	ASCInvalidOpcode             ASCQ = 0x2000
	ASCLBAOutOfRange             ASCQ = 0x2100
	ASCInvalidAddressForWrite    ASCQ = 0x2102
	ASCInvalidFieldInCDB         ASCQ = 0x2400
	ASCInvalidFieldInParameters  ASCQ = 0x2600
	ASCWriteProtected            ASCQ = 0x2700
	ASCCommandSequenceError      ASCQ = 0x2C00
	ASCMediumMayHaveChanged      ASCQ = 0x2800 // unit attention, SPC-4 D.1: NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED
	ASCPowerOnReset              ASCQ = 0x2900 // unit attention, SPC-4 D.1: POWER ON, RESET, OR BUS DEVICE RESET OCCURRED
	ASCIncompatibleMedium        ASCQ = 0x3000
	ASCCannotReadIncompatible    ASCQ = 0x3002
	ASCCannotWriteIncompatible   ASCQ = 0x3005
	ASCMediumNotFormatted        ASCQ = 0x3010
	ASCSavingNotSupported        ASCQ = 0x3900
	ASCMediumFormatCorrupted     ASCQ = 0x3100
	ASCMediumNotPresent          ASCQ = 0x3A00
	ASCMediumNotPresentTrayClose ASCQ = 0x3A01
	ASCMediumNotPresentTrayOpen  ASCQ = 0x3A02
	ASCInternalTargetFailure     ASCQ = 0x4400
	ASCMediumRemovalPrevented    ASCQ = 0x5302
	ASCEndOfUserArea             ASCQ = 0x6300
	ASCIllegalModeForTrack       ASCQ = 0x6400
	ASCSessionFixationError      ASCQ = 0x7200
	ASCIncompleteTrackInSession  ASCQ = 0x7203
	ASCPowerCalibrationAreaError ASCQ = 0x7303
	ASCProgramMemoryAreaFull     ASCQ = 0x7305
)

var ascqNames = map[ASCQ]string{
	ASCNoAdditionalSense: "no additional sense", ASCNotReadyCauseNotReported: "not ready, cause not reportable",
	ASCBecomingReady: "becoming ready", ASCNotReadyInitRequired: "not ready, initializing command required",
	ASCFormatInProgress: "format in progress", ASCOperationInProgress: "operation in progress",
	ASCLongWriteInProgress: "long write in progress", ASCWriteError: "write error",
	ASCWriteErrorRecoveryNeeded: "write error, recovery needed", ASCWriteErrorLossOfStreaming: "write error, loss of streaming",
	ASCUnrecoveredReadError: "unrecovered read error", ASCParameterListLength: "parameter list length error",
	ASCCommandSequenceError: "command sequence error", ASCCannotReadIncompatible: "cannot read medium, incompatible format",
	ASCMediumNotFormatted: "medium not formatted", ASCSavingNotSupported: "saving parameters not supported", ASCInvalidOpcode: "invalid command operation code",
	ASCLBAOutOfRange: "logical block address out of range", ASCInvalidAddressForWrite: "invalid address for write",
	ASCInvalidFieldInCDB: "invalid field in CDB", ASCInvalidFieldInParameters: "invalid field in parameter list",
	ASCWriteProtected: "write protected", ASCMediumMayHaveChanged: "not ready to ready change, medium may have changed",
	ASCPowerOnReset: "power on, reset, or bus device reset occurred", ASCIncompatibleMedium: "incompatible medium installed",
	ASCCannotWriteIncompatible: "cannot write medium, incompatible format", ASCMediumFormatCorrupted: "medium format corrupted",
	ASCMediumNotPresent: "medium not present", ASCMediumNotPresentTrayClose: "medium not present, tray closed",
	ASCMediumNotPresentTrayOpen: "medium not present, tray open", ASCInternalTargetFailure: "internal target failure",
	ASCMediumRemovalPrevented: "medium removal prevented", ASCEndOfUserArea: "end of user area encountered on this track",
	ASCIllegalModeForTrack: "illegal mode for this track", ASCSessionFixationError: "session fixation error",
	ASCIncompleteTrackInSession:  "session fixation error, incomplete track in session",
	ASCPowerCalibrationAreaError: "power calibration area error", ASCProgramMemoryAreaFull: "program memory area is full",
	ASCPowerOnOccurred: "power on occurred", ASCBusResetOccurred: "SCSI bus reset occurred",
	ASCBusDeviceResetOccurred: "bus device reset function occurred", ASCDeviceInternalReset: "device internal reset",
	ASCParametersChanged: "parameters changed", ASCModeParametersChanged: "mode parameters changed",
	ASCCommandsCleared: "commands cleared by another initiator", ASCOperatingConditionsChange: "target operating conditions have changed",
	ASCMicrocodeChanged: "microcode has been changed", ASCInquiryDataChanged: "inquiry data has changed",
	ASCReportedLUNsChanged: "reported LUNs data has changed", ASCOperatorRequest: "operator request or state change input",
	ASCOperatorMediumRemoval: "operator medium removal request",
}

// Unit attention conditions (sense key 6) a drive reports once to the
// next command after an event, from SPC-4 Annex D (table D.1) and MMC-6
// Annex F. 28/00 and 29/00 are in the table above. The Drive absorbs any
// of them where it is safe (see Drive.Identify); the names are for logs
// and errors.
const (
	ASCPowerOnOccurred           ASCQ = 0x2901 // SPC-4 D.1: POWER ON OCCURRED
	ASCBusResetOccurred          ASCQ = 0x2902 // SPC-4 D.1: SCSI BUS RESET OCCURRED
	ASCBusDeviceResetOccurred    ASCQ = 0x2903 // SPC-4 D.1: BUS DEVICE RESET FUNCTION OCCURRED
	ASCDeviceInternalReset       ASCQ = 0x2904 // SPC-4 D.1: DEVICE INTERNAL RESET
	ASCParametersChanged         ASCQ = 0x2A00 // SPC-4 D.1: PARAMETERS CHANGED
	ASCModeParametersChanged     ASCQ = 0x2A01 // SPC-4 D.1: MODE PARAMETERS CHANGED
	ASCCommandsCleared           ASCQ = 0x2F00 // SPC-4 D.1: COMMANDS CLEARED BY ANOTHER INITIATOR
	ASCOperatingConditionsChange ASCQ = 0x3F00 // SPC-4 D.1: TARGET OPERATING CONDITIONS HAVE CHANGED
	ASCMicrocodeChanged          ASCQ = 0x3F01 // SPC-4 D.1: MICROCODE HAS BEEN CHANGED
	ASCInquiryDataChanged        ASCQ = 0x3F03 // SPC-4 D.1: INQUIRY DATA HAS CHANGED
	// ASCReportedLUNsChanged is queued by a target when its logical unit
	// inventory changes, e.g. a LUN added to a tcm_loop target.
	ASCReportedLUNsChanged   ASCQ = 0x3F0E // SPC-4 D.1: REPORTED LUNS DATA HAS CHANGED
	ASCOperatorRequest       ASCQ = 0x5A00 // SPC-4 D.1: OPERATOR REQUEST OR STATE CHANGE INPUT
	ASCOperatorMediumRemoval ASCQ = 0x5A01 // SPC-4 D.1: OPERATOR MEDIUM REMOVAL REQUEST (eject button)
)

// ASC is the additional sense code, the high byte.
func (a ASCQ) ASC() uint8 { return uint8(a >> 8) }

// Qualifier is the additional sense code qualifier, the low byte.
func (a ASCQ) Qualifier() uint8 { return uint8(a) }

func (a ASCQ) String() string {
	if s, ok := ascqNames[a]; ok {
		return s
	}
	return fmt.Sprintf("ASC 0x%02X ASCQ 0x%02X", a.ASC(), a.Qualifier())
}

// Sense response codes (SPC-4 section 4.5.1, table 26).
const (
	SenseFixedCurrent      = 0x70
	SenseFixedDeferred     = 0x71
	SenseDescriptorCurrent = 0x72
	SenseDescriptorDeferr  = 0x73
)

// Sense is decoded sense data.
type Sense struct {
	ResponseCode uint8
	Key          SenseKey
	Code         ASCQ
	// Info is the INFORMATION field (for media commands the LBA at fault),
	// meaningful when InfoValid.
	Info      uint64
	InfoValid bool
	// Deferred is set for response codes 0x71 and 0x73: the error belongs
	// to an earlier command (typically a cached write).
	Deferred bool
}

// ErrBadSense: sense data too short or of an unknown response code.
var ErrBadSense = errors.New("drive: malformed sense data")

// ParseSense decodes fixed (SPC-4 4.5.3) or descriptor (SPC-4 4.5.2) sense
// data.
func ParseSense(b []byte) (Sense, error) {
	if len(b) < 1 {
		return Sense{}, fmt.Errorf("%w: empty", ErrBadSense)
	}
	var s Sense
	s.ResponseCode = b[0] & 0x7F
	switch s.ResponseCode {
	case SenseFixedCurrent, SenseFixedDeferred:
		if len(b) < 3 {
			return Sense{}, fmt.Errorf("%w: %d bytes of fixed sense, want at least 3", ErrBadSense, len(b))
		}
		s.Key = SenseKey(b[2] & 0x0F)
		if len(b) >= 7 {
			s.Info = uint64(binary.BigEndian.Uint32(b[3:7]))
			s.InfoValid = b[0]&0x80 != 0
		}
		// ASC and ASCQ are bytes 12 and 13 when the additional sense
		// length (byte 7) covers them.
		if len(b) >= 14 && b[7] >= 6 {
			s.Code = ASCQ(binary.BigEndian.Uint16(b[12:14]))
		}
		s.Deferred = s.ResponseCode == SenseFixedDeferred
	case SenseDescriptorCurrent, SenseDescriptorDeferr:
		if len(b) < 8 {
			return Sense{}, fmt.Errorf("%w: %d bytes of descriptor sense, want at least 8", ErrBadSense, len(b))
		}
		s.Key = SenseKey(b[1] & 0x0F)
		s.Code = ASCQ(binary.BigEndian.Uint16(b[2:4]))
		s.Deferred = s.ResponseCode == SenseDescriptorDeferr
		s.parseDescriptors(b[8:min(len(b), 8+int(b[7]))])
	default:
		return Sense{}, fmt.Errorf("%w: response code 0x%02X", ErrBadSense, s.ResponseCode)
	}
	return s, nil
}

// parseDescriptors finds the information descriptor (type 0x00, SPC-4
// 4.5.2.2): type, additional length 0x0A, VALID bit, reserved, 8 bytes.
func (s *Sense) parseDescriptors(d []byte) {
	for len(d) >= 2 {
		n := 2 + int(d[1])
		if n > len(d) {
			return
		}
		if d[0] == 0x00 && n >= 12 {
			s.Info = binary.BigEndian.Uint64(d[4:12])
			s.InfoValid = d[2]&0x80 != 0
		}
		d = d[n:]
	}
}

// LBA returns the information field as a logical block address.
func (s Sense) LBA() (uint32, bool) {
	if !s.InfoValid || s.Info > 0xFFFFFFFF {
		return 0, false
	}
	return uint32(s.Info), true
}

func (s Sense) String() string {
	str := fmt.Sprintf("%v: %v (key 0x%X, ASC 0x%02X, ASCQ 0x%02X)", s.Key, s.Code, uint8(s.Key), s.Code.ASC(), s.Code.Qualifier())
	if lba, ok := s.LBA(); ok {
		str += fmt.Sprintf(" at LBA %d", lba)
	}
	if s.Deferred {
		str += " (deferred)"
	}
	return str
}

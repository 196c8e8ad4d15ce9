package drivesim

import "encoding/binary"

// SenseKey values come from SPC-4 section 4.5.6, table 28.
const (
	KeyNoSense        uint8 = 0x0
	KeyRecoveredError uint8 = 0x1
	KeyNotReady       uint8 = 0x2
	KeyMediumError    uint8 = 0x3
	KeyHardwareError  uint8 = 0x4
	KeyIllegalRequest uint8 = 0x5
	KeyUnitAttention  uint8 = 0x6
	KeyDataProtect    uint8 = 0x7
	KeyAbortedCommand uint8 = 0xB
)

// Condition is a sense key with its additional sense code and qualifier.
type Condition struct {
	Key, ASC, ASCQ uint8
}

// Conditions the simulator reports. ASC/ASCQ values come from SPC-4 annex D
// (table D.1) and MMC-6 annex F.
var (
	CondNoSense               = Condition{KeyNoSense, 0x00, 0x00}
	CondBecomingReady         = Condition{KeyNotReady, 0x04, 0x01} // LOGICAL UNIT IS IN PROCESS OF BECOMING READY
	CondFormatInProgress      = Condition{KeyNotReady, 0x04, 0x04} // LOGICAL UNIT NOT READY, FORMAT IN PROGRESS
	CondLongWriteInProgress   = Condition{KeyNotReady, 0x04, 0x08} // LOGICAL UNIT NOT READY, LONG WRITE IN PROGRESS
	CondMediumNotPresent      = Condition{KeyNotReady, 0x3A, 0x00} // MEDIUM NOT PRESENT
	CondMediumNotPresentShut  = Condition{KeyNotReady, 0x3A, 0x01} // MEDIUM NOT PRESENT - TRAY CLOSED
	CondMediumNotPresentOpen  = Condition{KeyNotReady, 0x3A, 0x02} // MEDIUM NOT PRESENT - TRAY OPEN
	CondWriteError            = Condition{KeyMediumError, 0x0C, 0x00}
	CondUnrecoveredRead       = Condition{KeyMediumError, 0x11, 0x00}
	CondInternalTargetFailure = Condition{KeyHardwareError, 0x44, 0x00} // INTERNAL TARGET FAILURE
	CondInvalidOpcode         = Condition{KeyIllegalRequest, 0x20, 0x00}
	CondLBAOutOfRange         = Condition{KeyIllegalRequest, 0x21, 0x00}
	CondInvalidAddrForWrite   = Condition{KeyIllegalRequest, 0x21, 0x02}
	CondInvalidFieldInCDB     = Condition{KeyIllegalRequest, 0x24, 0x00}
	CondInvalidFieldInParam   = Condition{KeyIllegalRequest, 0x26, 0x00}
	CondParamListLength       = Condition{KeyIllegalRequest, 0x1A, 0x00} // PARAMETER LIST LENGTH ERROR
	CondCommandSequenceError  = Condition{KeyIllegalRequest, 0x2C, 0x00}
	CondIncompatibleFormat    = Condition{KeyIllegalRequest, 0x30, 0x02} // CANNOT READ MEDIUM - INCOMPATIBLE FORMAT
	CondCannotWriteFormat     = Condition{KeyIllegalRequest, 0x30, 0x05} // CANNOT WRITE MEDIUM - INCOMPATIBLE FORMAT
	CondMediumNotFormatted    = Condition{KeyIllegalRequest, 0x30, 0x10}
	CondSavingNotSupported    = Condition{KeyIllegalRequest, 0x39, 0x00}
	CondRemovalPrevented      = Condition{KeyIllegalRequest, 0x53, 0x02} // MEDIUM REMOVAL PREVENTED
	CondIllegalModeForTrack   = Condition{KeyIllegalRequest, 0x64, 0x00}
	CondMediumMayHaveChanged  = Condition{KeyUnitAttention, 0x28, 0x00} // NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED
	CondPowerOnReset          = Condition{KeyUnitAttention, 0x29, 0x00} // POWER ON, RESET, OR BUS DEVICE RESET OCCURRED
)

// sense is one reportable sense: a condition plus its information field
// (the failing LBA) and sense-key specific bytes (field pointer or progress).
type sense struct {
	Condition
	info      uint32
	infoValid bool
	sks       [3]byte // byte 0 carries SKSV (bit 7) when valid
}

func newSense(c Condition) sense { return sense{Condition: c} }

// atLBA sets the INFORMATION field to the LBA the condition refers to.
func (s sense) atLBA(lba uint32) sense {
	s.info, s.infoValid = lba, true
	return s
}

// fieldPointer sets the sense-key specific field pointer (SPC-4 4.5.2.4.2):
// inCDB says whether the field is in the command block or the parameter
// list, byteIdx and bit locate the bad field.
func fieldPointer(c Condition, inCDB bool, byteIdx int, bit int) sense {
	s := newSense(c)
	s.sks[0] = 0x80
	if inCDB {
		s.sks[0] |= 0x40
	}
	if bit >= 0 {
		s.sks[0] |= 0x08 | uint8(bit&7)
	}
	binary.BigEndian.PutUint16(s.sks[1:], uint16(byteIdx))
	return s
}

// badCDB is INVALID FIELD IN CDB pointing at byte byteIdx of the command block.
func badCDB(byteIdx, bit int) sense {
	return fieldPointer(CondInvalidFieldInCDB, true, byteIdx, bit)
}

// withProgress sets the progress indication (SPC-4 4.5.2.4.4): done of 65536.
func (s sense) withProgress(frac float64) sense {
	if frac < 0 {
		frac = 0
	}
	if frac > 1 {
		frac = 1
	}
	s.sks[0] = 0x80
	binary.BigEndian.PutUint16(s.sks[1:], uint16(frac*65535))
	return s
}

// fixedSenseLen is the length of fixed-format sense data with no
// additional bytes beyond byte 17.
const fixedSenseLen = 18

// fixed encodes fixed-format sense data, response code 70h (SPC-4 4.5.3,
// table 27).
func (s sense) fixed() []byte {
	b := make([]byte, fixedSenseLen)
	b[0] = 0x70
	if s.infoValid {
		b[0] |= 0x80
		binary.BigEndian.PutUint32(b[3:7], s.info)
	}
	b[2] = s.Key & 0x0F
	b[7] = fixedSenseLen - 8
	b[12], b[13] = s.ASC, s.ASCQ
	copy(b[15:18], s.sks[:])
	return b
}

// descriptor encodes descriptor-format sense data, response code 72h
// (SPC-4 4.5.2), with an information descriptor (type 00h) when the LBA is
// known and a sense-key specific descriptor (type 02h) when one is set.
func (s sense) descriptor() []byte {
	b := make([]byte, 8, 28)
	b[0] = 0x72
	b[1], b[2], b[3] = s.Key&0x0F, s.ASC, s.ASCQ
	if s.infoValid {
		d := make([]byte, 12)
		d[0], d[1], d[2] = 0x00, 0x0A, 0x80
		binary.BigEndian.PutUint64(d[4:], uint64(s.info))
		b = append(b, d...)
	}
	if s.sks[0]&0x80 != 0 {
		d := []byte{0x02, 0x06, 0, 0, s.sks[0], s.sks[1], s.sks[2], 0}
		b = append(b, d...)
	}
	b[7] = uint8(len(b) - 8)
	return b
}

package drivesim

import (
	"encoding/hex"
	"strings"
	"testing"
)

// h decodes hex written with spaces between fields.
func h(s string) string { return strings.ReplaceAll(s, " ", "") }

func TestSenseEncoding(t *testing.T) {
	tests := []struct {
		name       string
		s          sense
		fixed      string // SPC-4 table 27: code, 0, key, info[4], addl len, cmd-specific[4], ASC, ASCQ, FRU, SKS[3]
		descriptor string // SPC-4 table 12 header, then descriptors
	}{
		{
			name:       "no sense",
			s:          newSense(CondNoSense),
			fixed:      "70 00 00 00000000 0a 00000000 00 00 00 000000",
			descriptor: "72 00 00 00 000000 00",
		},
		{
			name:       "write error at LBA",
			s:          newSense(CondWriteError).atLBA(0x01020304),
			fixed:      "f0 00 03 01020304 0a 00000000 0c 00 00 000000",
			descriptor: "72 03 0c 00 000000 0c  00 0a 80 00 0000000001020304",
		},
		{
			name:       "invalid field in CDB, byte 2 bit 7",
			s:          badCDB(2, 7),
			fixed:      "70 00 05 00000000 0a 00000000 24 00 00 cf0002",
			descriptor: "72 05 24 00 000000 08  02 06 00 00 cf 0002 00",
		},
		{
			name:       "invalid field in parameter list, byte 8, no bit",
			s:          fieldPointer(CondInvalidFieldInParam, false, 8, -1),
			fixed:      "70 00 05 00000000 0a 00000000 26 00 00 800008",
			descriptor: "72 05 26 00 000000 08  02 06 00 00 80 0008 00",
		},
		{
			name:       "long write in progress, half done",
			s:          newSense(CondLongWriteInProgress).withProgress(0.5),
			fixed:      "70 00 02 00000000 0a 00000000 04 08 00 807fff",
			descriptor: "72 02 04 08 000000 08  02 06 00 00 80 7fff 00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.s.fixed()); got != h(tt.fixed) {
				t.Errorf("fixed() = %s, want %s", got, h(tt.fixed))
			}
			if got := hex.EncodeToString(tt.s.descriptor()); got != h(tt.descriptor) {
				t.Errorf("descriptor() = %s, want %s", got, h(tt.descriptor))
			}
		})
	}
}

func TestConditionsAreDistinct(t *testing.T) {
	all := []Condition{CondNoSense, CondBecomingReady, CondFormatInProgress, CondLongWriteInProgress,
		CondMediumNotPresent, CondMediumNotPresentShut, CondMediumNotPresentOpen, CondWriteError,
		CondUnrecoveredRead, CondInvalidOpcode, CondLBAOutOfRange, CondInvalidAddrForWrite,
		CondInvalidFieldInCDB, CondInvalidFieldInParam, CondParamListLength, CondCommandSequenceError,
		CondIncompatibleFormat, CondCannotWriteFormat, CondMediumNotFormatted, CondSavingNotSupported,
		CondRemovalPrevented, CondIllegalModeForTrack, CondMediumMayHaveChanged, CondPowerOnReset}
	seen := map[Condition]int{}
	for i, c := range all {
		if j, ok := seen[c]; ok {
			t.Errorf("condition %d = condition %d = %+v, want distinct", i, j, c)
		}
		seen[c] = i
	}
}

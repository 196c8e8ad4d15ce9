package drive

import (
	"errors"
	"fmt"
	"testing"
)

func TestParseSense(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Sense
		wantErr bool
	}{
		{name: "fixed, no medium", in: "70 00 02 00 00 00 00 0a 00 00 00 00 3a 00 00 00 00 00",
			want: Sense{ResponseCode: 0x70, Key: KeyNotReady, Code: ASCMediumNotPresent}},
		{name: "fixed, valid information = LBA", in: "f0 00 03 00 ba 74 00 0a 00 00 00 00 0c 00 00 00 00 00",
			want: Sense{ResponseCode: 0x70, Key: KeyMediumError, Code: ASCWriteError, Info: 0x00BA7400, InfoValid: true}},
		{name: "fixed, deferred, flags in byte 2 ignored", in: "71 00 e3 00 00 00 05 0a 00 00 00 00 11 00 00 00 00 00",
			want: Sense{ResponseCode: 0x71, Key: KeyMediumError, Code: ASCUnrecoveredReadError, Info: 5, Deferred: true}},
		{name: "fixed, short additional length hides ASC", in: "70 00 06 00 00 00 00 04 00 00 00 00 29 00",
			want: Sense{ResponseCode: 0x70, Key: KeyUnitAttention}},
		{name: "fixed, 3 bytes", in: "70 00 05", want: Sense{ResponseCode: 0x70, Key: KeyIllegalRequest}},
		{name: "descriptor, long write in progress", in: "72 02 04 08 00 00 00 00",
			want: Sense{ResponseCode: 0x72, Key: KeyNotReady, Code: ASCLongWriteInProgress}},
		{name: "descriptor with information descriptor", in: "72 05 21 02 00 00 00 0c  00 0a 80 00 00 00 00 00 00 00 12 34",
			want: Sense{ResponseCode: 0x72, Key: KeyIllegalRequest, Code: ASCInvalidAddressForWrite, Info: 0x1234, InfoValid: true}},
		{name: "descriptor, deferred, other descriptor first", in: "73 03 0c 00 00 00 00 10  02 02 00 00  00 0a 80 00 00 00 00 00 00 00 00 07",
			want: Sense{ResponseCode: 0x73, Key: KeyMediumError, Code: ASCWriteError, Info: 7, InfoValid: true, Deferred: true}},
		{name: "descriptor, truncated descriptor ignored", in: "72 06 29 00 00 00 00 0c  00 0a 80 00",
			want: Sense{ResponseCode: 0x72, Key: KeyUnitAttention, Code: ASCPowerOnReset}},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown response code", in: "7f 00 02 00", wantErr: true},
		{name: "short fixed", in: "70 00", wantErr: true},
		{name: "short descriptor", in: "72 02 3a 00", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSense(h(tc.in))
			if tc.wantErr {
				if !errors.Is(err, ErrBadSense) {
					t.Errorf("ParseSense(%s) error = %v, want %v", tc.in, err, ErrBadSense)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseSense(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestSenseErrorIs(t *testing.T) {
	all := []error{ErrNotReady, ErrBecomingReady, ErrLongWriteInProgress, ErrMediumNotPresent, ErrMediumError,
		ErrWriteError, ErrUnrecoveredRead, ErrHardwareError, ErrIllegalRequest, ErrInvalidAddress, ErrUnitAttention,
		ErrDataProtect, ErrBlankCheck, ErrAborted, ErrIncompatibleMedium, ErrTimeout, ErrNotRewritable, ErrNotFormatted}
	tests := []struct {
		key       SenseKey
		code      ASCQ
		want      []error
		retryable bool
	}{
		{KeyNotReady, ASCMediumNotPresentTrayOpen, []error{ErrNotReady, ErrMediumNotPresent}, false},
		{KeyNotReady, ASCBecomingReady, []error{ErrNotReady, ErrBecomingReady}, true},
		{KeyNotReady, ASCLongWriteInProgress, []error{ErrNotReady, ErrLongWriteInProgress}, true},
		{KeyMediumError, ASCWriteError, []error{ErrMediumError, ErrWriteError}, false},
		{KeyMediumError, ASCUnrecoveredReadError, []error{ErrMediumError, ErrUnrecoveredRead}, false},
		{KeyIllegalRequest, ASCInvalidAddressForWrite, []error{ErrIllegalRequest, ErrInvalidAddress}, false},
		{KeyIllegalRequest, ASCLBAOutOfRange, []error{ErrIllegalRequest, ErrInvalidAddress}, false},
		{KeyUnitAttention, ASCPowerOnReset, []error{ErrUnitAttention}, false},
		{KeyDataProtect, ASCWriteProtected, []error{ErrDataProtect}, false},
		{KeyBlankCheck, ASCNoAdditionalSense, []error{ErrBlankCheck}, false},
		{KeyHardwareError, ASCInternalTargetFailure, []error{ErrHardwareError}, false},
		{KeyAbortedCommand, ASCNoAdditionalSense, []error{ErrAborted}, true},
		{KeyIllegalRequest, ASCIncompatibleMedium, []error{ErrIllegalRequest, ErrIncompatibleMedium}, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v/%v", tc.key, tc.code), func(t *testing.T) {
			se := NewSenseError("WRITE(12)", Sense{ResponseCode: 0x70, Key: tc.key, Code: tc.code, Info: 42, InfoValid: true})
			var err error = fmt.Errorf("burn: %w", se)
			for _, s := range all {
				want := false
				for _, w := range tc.want {
					want = want || w == s
				}
				if got := errors.Is(err, s); got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
			var as *SenseError
			if !errors.As(err, &as) || as.LBA != 42 || !as.LBAValid || as.Code() != tc.code {
				t.Errorf("errors.As(%v) = %+v, want LBA 42 and code %v", err, as, tc.code)
			}
			if se.Retryable() != tc.retryable {
				t.Errorf("Retryable(%v) = %v, want %v", se, se.Retryable(), tc.retryable)
			}
		})
	}
}

func TestSenseErrorMessage(t *testing.T) {
	se := NewSenseError("WRITE(12)", Sense{ResponseCode: 0x70, Key: KeyMediumError, Code: ASCWriteError, Info: 1234, InfoValid: true})
	want := "drive: WRITE(12): MEDIUM ERROR: write error (key 0x3, ASC 0x0C, ASCQ 0x00) at LBA 1234"
	if se.Error() != want {
		t.Errorf("Error() = %q, want %q", se.Error(), want)
	}
}

// TestUnitAttentionNames: the unit attentions drives report after common
// events decode from their sense bytes to named codes, match
// ErrUnitAttention and name themselves in the error message.
func TestUnitAttentionNames(t *testing.T) {
	tests := []struct {
		code ASCQ
		name string
	}{
		{ASCMediumMayHaveChanged, "not ready to ready change, medium may have changed"},
		{ASCPowerOnReset, "power on, reset, or bus device reset occurred"},
		{ASCPowerOnOccurred, "power on occurred"},
		{ASCBusResetOccurred, "SCSI bus reset occurred"},
		{ASCBusDeviceResetOccurred, "bus device reset function occurred"},
		{ASCDeviceInternalReset, "device internal reset"},
		{ASCParametersChanged, "parameters changed"},
		{ASCModeParametersChanged, "mode parameters changed"},
		{ASCCommandsCleared, "commands cleared by another initiator"},
		{ASCOperatingConditionsChange, "target operating conditions have changed"},
		{ASCMicrocodeChanged, "microcode has been changed"},
		{ASCInquiryDataChanged, "inquiry data has changed"},
		{ASCReportedLUNsChanged, "reported LUNs data has changed"},
		{ASCOperatorRequest, "operator request or state change input"},
		{ASCOperatorMediumRemoval, "operator medium removal request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte{0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, tc.code.ASC(), tc.code.Qualifier(), 0, 0, 0, 0}
			s, err := ParseSense(b)
			if err != nil || s.Code != tc.code {
				t.Fatalf("ParseSense(% x) = %+v, %v; want code %04X", b, s, err, uint16(tc.code))
			}
			se := NewSenseError("GET CONFIGURATION", s)
			want := fmt.Sprintf("drive: GET CONFIGURATION: UNIT ATTENTION: %s (key 0x6, ASC 0x%02X, ASCQ 0x%02X)", tc.name, tc.code.ASC(), tc.code.Qualifier())
			if !errors.Is(se, ErrUnitAttention) || se.Error() != want {
				t.Errorf("NewSenseError(%04X) = %q (unit attention %v), want %q", uint16(tc.code), se.Error(), errors.Is(se, ErrUnitAttention), want)
			}
		})
	}
}

// TestCodesUnique guards against two names sharing one value.
func TestCodesUnique(t *testing.T) {
	if len(senseKeyNames) != 14 {
		t.Errorf("senseKeyNames has %d entries, want 14 distinct keys", len(senseKeyNames))
	}
	if len(ascqNames) != 51 {
		t.Errorf("ascqNames has %d entries, want 51 distinct ASC/ASCQ values (a duplicate key collapses)", len(ascqNames))
	}
	ops := []Opcode{OpTestUnitReady, OpRequestSense, OpFormatUnit, OpInquiry, OpStartStopUnit, OpPreventAllowMediumRemoval,
		OpReadFormatCapacities, OpReadCapacity, OpRead10, OpWrite10, OpSynchronizeCache, OpGetConfiguration,
		OpGetEventStatusNotification, OpReadDiscInformation, OpReadTrackInformation, OpReserveTrack, OpModeSense10,
		OpCloseTrackSession, OpRead12, OpGetPerformance, OpReadDiscStructure, OpWrite12, OpSetStreaming}
	checkUnique(t, "Opcode", ops)
	checkUnique(t, "FeatureCode", []FeatureCode{FeatureProfileList, FeatureCore, FeatureMorphing, FeatureRemovableMedium,
		FeatureWriteProtect, FeatureRandomReadable, FeatureIncrementalStreaming, FeatureFormattable, FeatureDefectManagement,
		FeatureRestrictedOverwrite, FeatureBDReadFeature, FeatureBDWriteFeature, FeaturePowerManagement, FeatureRealTimeStreaming,
		FeatureDriveSerialNumber, FeatureDiscControlBlocks, FeatureFirmwareInformation, FeatureAACS, FeatureVCPS,
		FeatureSecurDisc, FeatureOSSC, FeatureMediaSerialNumber, FeatureTimeout, FeatureDVDCSS, FeatureHybridDisc,
		FeatureSMART, FeatureEmbeddedChanger, FeatureMicrocodeUpgrade, FeatureLayerJumpRecording, FeatureEnhancedDefectReport,
		FeatureHDDVDRead, FeatureHDDVDWrite, FeatureCDRead, FeatureDVDRead, FeatureRandomWritable, FeatureSectorErasable,
		FeatureWriteOnce, FeatureMultiRead, FeatureBDRPseudoOverwrite, FeatureDVDPlusRW, FeatureDVDPlusR, FeatureRigidRestrictedOverwrt})
	checkUnique(t, "Profile", []Profile{ProfileNone, ProfileCDROM, ProfileCDR, ProfileCDRW, ProfileDVDROM, ProfileDVDR, ProfileDVDRAM,
		ProfileDVDRWRO, ProfileDVDRWSeq, ProfileDVDRDL, ProfileDVDPlusRW, ProfileDVDPlusR, ProfileDVDPlusRDL, ProfileBDROM, ProfileBDRSRM,
		ProfileBDRRRM, ProfileBDRE, ProfileUnknown})
	checkUnique(t, "Tray", []Tray{TrayUnknown, TrayClosed, TrayOpen})
	checkUnique(t, "CloseFunction", []CloseFunction{CloseTrack, CloseSession, CloseFinalize})
	checkUnique(t, "sentinel", []error{ErrTimeout, ErrTransport, ErrBusy, ErrBadResponse, ErrNotReady, ErrBecomingReady,
		ErrLongWriteInProgress, ErrMediumNotPresent, ErrMediumError, ErrWriteError, ErrUnrecoveredRead, ErrHardwareError,
		ErrIllegalRequest, ErrInvalidAddress, ErrUnitAttention, ErrDataProtect, ErrBlankCheck, ErrAborted, ErrIncompatibleMedium,
		ErrNotRewritable, ErrNotFormatted})
}

func checkUnique[T comparable](t *testing.T, what string, vs []T) {
	t.Helper()
	seen := map[T]int{}
	for i, v := range vs {
		if j, ok := seen[v]; ok {
			t.Errorf("%s values %d and %d are both %v", what, j, i, v)
		}
		seen[v] = i
	}
}

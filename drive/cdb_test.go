package drive

import (
	"encoding/hex"
	"strings"
	"testing"
)

// h parses hex with optional spaces.
func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// TestCDBs checks every command block byte for byte against the MMC-6 and
// SPC-4 field layouts (the comment on each case names the fields set).
func TestCDBs(t *testing.T) {
	tests := []struct {
		name string
		cdb  []byte
		want string
	}{
		{"TEST UNIT READY", TestUnitReady{}.CDB(), "00 00 00 00 00 00"},
		{"REQUEST SENSE fixed, default 252", RequestSense{}.CDB(), "03 00 00 00 fc 00"},
		{"REQUEST SENSE descriptor, 18", RequestSense{Desc: true, AllocationLength: 18}.CDB(), "03 01 00 00 12 00"},
		{"INQUIRY standard, default 96", Inquiry{}.CDB(), "12 00 00 00 60 00"},
		{"INQUIRY VPD 0x80, 0x0102", Inquiry{EVPD: true, PageCode: 0x80, AllocationLength: 0x0102}.CDB(), "12 01 80 01 02 00"},
		{"START STOP UNIT eject (LoEj, !Start)", StartStopUnit{LoEj: true}.CDB(), "1b 00 00 00 02 00"},
		{"START STOP UNIT load, immed", StartStopUnit{Immed: true, LoEj: true, Start: true}.CDB(), "1b 01 00 00 03 00"},
		{"START STOP UNIT power condition 3", StartStopUnit{PowerCondition: 3}.CDB(), "1b 00 00 00 30 00"},
		{"PREVENT ALLOW prevent", PreventAllowMediumRemoval{Prevent: true}.CDB(), "1e 00 00 00 01 00"},
		{"PREVENT ALLOW persistent allow", PreventAllowMediumRemoval{Persistent: true}.CDB(), "1e 00 00 00 02 00"},
		{"GET CONFIGURATION RT=1 from 0x0041", GetConfiguration{RT: RTCurrent, StartingFeature: FeatureBDWriteFeature, AllocationLength: 0x1234}.CDB(), "46 01 00 41 00 00 00 12 34 00"},
		{"GET CONFIGURATION defaults", GetConfiguration{}.CDB(), "46 00 00 00 00 00 00 10 00 00"},
		{"GET EVENT STATUS media, polled", GetEventStatusNotification{Polled: true, ClassRequest: EventClassMedia}.CDB(), "4a 01 00 00 10 00 00 00 08 00"},
		{"READ DISC INFORMATION", ReadDiscInformation{}.CDB(), "51 00 00 00 00 00 00 00 22 00"},
		{"READ DISC INFORMATION type 1, 0x100", ReadDiscInformation{DataType: 1, AllocationLength: 0x100}.CDB(), "51 01 00 00 00 00 00 01 00 00"},
		{"READ TRACK INFORMATION invisible track", ReadTrackInformation{AddressType: TrackAddrTrack, Number: InvisibleTrack}.CDB(), "52 01 00 00 00 ff 00 00 30 00"},
		{"READ TRACK INFORMATION open, LBA 0x01020304", ReadTrackInformation{Open: true, Number: 0x01020304}.CDB(), "52 04 01 02 03 04 00 00 30 00"},
		{"READ CAPACITY", ReadCapacity{}.CDB(), "25 00 00 00 00 00 00 00 00 00"},
		{"READ FORMAT CAPACITIES", ReadFormatCapacities{}.CDB(), "23 00 00 00 00 00 00 00 fc 00"},
		{"READ DISC STRUCTURE BD media ID AGID 2", ReadDiscStructure{MediaType: StructureMediaBD, Format: FormatAACSMediaID, AllocationLength: 36, AGID: 2}.CDB(), "ad 01 00 00 00 00 00 86 00 24 80 00"},
		{"READ DISC STRUCTURE address, layer", ReadDiscStructure{Address: 0xA0B0C0D0, Layer: 1}.CDB(), "ad 00 a0 b0 c0 d0 01 00 10 04 00 00"},
		{"FORMAT UNIT", FormatUnit{}.CDB(), "04 11 00 00 00 00"},
		{"RESERVE TRACK 0x00BA7500", ReserveTrack{Size: 0x00BA7500}.CDB(), "53 00 00 00 00 00 ba 75 00 00"},
		{"WRITE(10) LBA 0x12345678, 32", Write10{LBA: 0x12345678, Blocks: 32}.CDB(), "2a 00 12 34 56 78 00 00 20 00"},
		{"WRITE(10) FUA", Write10{FUA: true, LBA: 1, Blocks: 1}.CDB(), "2a 08 00 00 00 01 00 00 01 00"},
		{"WRITE(12) streaming", Write12{Streaming: true, LBA: 0x00BA7400, Blocks: 0x20}.CDB(), "aa 00 00 ba 74 00 00 00 00 20 80 00"},
		{"WRITE(12) FUA, no streaming", Write12{FUA: true, LBA: 2, Blocks: 0x01020304}.CDB(), "aa 08 00 00 00 02 01 02 03 04 00 00"},
		{"READ(10)", Read10{LBA: 0xFFFFFFFE, Blocks: 0xABCD}.CDB(), "28 00 ff ff ff fe 00 ab cd 00"},
		{"READ(12) streaming FUA", Read12{FUA: true, Streaming: true, LBA: 16, Blocks: 32}.CDB(), "a8 08 00 00 00 10 00 00 00 20 80 00"},
		{"SYNCHRONIZE CACHE immed", SynchronizeCache{Immed: true}.CDB(), "35 02 00 00 00 00 00 00 00 00"},
		{"SYNCHRONIZE CACHE range", SynchronizeCache{LBA: 0x100, Blocks: 0x20}.CDB(), "35 00 00 00 01 00 00 00 20 00"},
		{"CLOSE TRACK 1", CloseTrackSession{Function: CloseTrack, Number: 1}.CDB(), "5b 00 01 00 00 01 00 00 00 00"},
		{"CLOSE SESSION immed", CloseTrackSession{Immed: true, Function: CloseSession}.CDB(), "5b 01 02 00 00 00 00 00 00 00"},
		{"CLOSE finalise", CloseTrackSession{Function: CloseFinalize}.CDB(), "5b 00 06 00 00 00 00 00 00 00"},
		{"GET PERFORMANCE write speeds", GetPerformance{Type: PerfTypeWriteSpeed, MaxDescriptors: 8}.CDB(), "ac 00 00 00 00 00 00 00 00 08 03 00"},
		{"GET PERFORMANCE nominal write, tolerance 10b", GetPerformance{DataType: 0x14, StartLBA: 0x11223344}.CDB(), "ac 14 11 22 33 44 00 00 00 10 00 00"},
		{"SET STREAMING", SetStreaming{}.CDB(), "b6 00 00 00 00 00 00 00 00 00 1c 00"},
		{"MODE SENSE(10) capabilities, DBD", ModeSense10{DBD: true, PageCode: ModePageCapabilities, AllocationLength: 0xFF}.CDB(), "5a 08 2a 00 00 00 00 00 ff 00"},
		{"MODE SENSE(10) all, default values, LLBAA, subpage ff", ModeSense10{LLBAA: true, PC: PageControlDefault, PageCode: ModePageAll, Subpage: 0xFF}.CDB(), "5a 10 bf ff 00 00 00 10 00 00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := hex.EncodeToString(tc.cdb), hex.EncodeToString(h(tc.want)); got != want {
				t.Errorf("CDB() = %s, want %s", got, want)
			}
		})
	}
}

func TestParameterLists(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"FORMAT UNIT BD-RE quick, immed", FormatUnit{Immed: true, Blocks: BDRSingleLayer, FormatType: FormatTypeBDWithSpare, Subtype: 2, Param: 0x3000}.Parameters(),
			"00 82 00 08  00 ba 74 00  c2 00 30 00"},
		{"FORMAT UNIT full", FormatUnit{FormatType: FormatTypeFull}.Parameters(), "00 80 00 08  00 00 00 00  00 00 00 00"},
		{"FORMAT UNIT BD-RE quick reformat (drive blank), immed, 11826176 blocks, type 30h", FormatUnit{Immed: true, Blocks: 11826176,
			FormatType: FormatTypeBDWithSpare, Subtype: FormatSubtypeQuickReformat}.Parameters(), "00 82 00 08  00 b4 74 00  c0 00 00 00"},
		{"FORMAT UNIT BD-RE no spare (drive format --no-spare)", FormatUnit{Blocks: BDRSingleLayer, FormatType: FormatTypeBDNoSpare}.Parameters(),
			"00 80 00 08  00 ba 74 00  c4 00 00 00"},
		{"SET STREAMING 8x write over the disc", SetStreaming{Exact: true, StartLBA: 0, EndLBA: BDRSingleLayer - 1, ReadSize: 36000, ReadTime: 1000, WriteSize: 36000, WriteTime: 1000}.Parameters(),
			"02 00 00 00  00 00 00 00  00 ba 73 ff  00 00 8c a0  00 00 03 e8  00 00 8c a0  00 00 03 e8"},
		{"SET STREAMING restore defaults, WRC 1", SetStreaming{RDD: true, WRC: 1, RA: true}.Parameters(),
			"0d 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := hex.EncodeToString(tc.got), hex.EncodeToString(h(tc.want)); got != want {
				t.Errorf("Parameters() = %s, want %s", got, want)
			}
		})
	}
}

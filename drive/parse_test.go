package drive

import (
	"reflect"
	"testing"
)

func inquiryData() []byte {
	b := make([]byte, 36)
	b[0], b[1], b[2], b[4] = 0x05, 0x80, 0x06, 31
	copy(b[8:], "COPYSTN ")
	copy(b[16:], "BD-RE SIM       ")
	copy(b[32:], "1.00")
	return b
}

func TestParseInquiry(t *testing.T) {
	got, err := ParseInquiry(inquiryData())
	want := &InquiryResponse{PeripheralType: 5, Removable: true, Version: 6, Vendor: "COPYSTN", Product: "BD-RE SIM", Revision: "1.00"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseInquiry() = %+v, %v; want %+v", got, err, want)
	}
	if _, err := ParseInquiry(make([]byte, 35)); err == nil {
		t.Errorf("ParseInquiry(35 bytes) = nil error, want ErrBadResponse")
	}
}

func TestParseConfiguration(t *testing.T) {
	in := h("00 00 00 20 00 00 00 41" + // length 32, current profile BD-R SRM
		"00 00 03 08 00 43 00 00 00 41 01 00" + // profile list: BD-RE, BD-R SRM (current)
		"00 01 0b 04 00 00 00 08" + // core, version 2, persistent, current
		"00 41 05 04 00 00 00 00" + // BD write, version 1, current
		"01 0d 00 08 00 00") // truncated descriptor, past the data length anyway
	got, err := ParseConfiguration(in)
	if err != nil {
		t.Fatalf("ParseConfiguration() error = %v", err)
	}
	if got.CurrentProfile != ProfileBDRSRM || len(got.Features) != 3 {
		t.Fatalf("ParseConfiguration() = profile %v, %d features; want 0x41, 3", got.CurrentProfile, len(got.Features))
	}
	core, ok := got.Feature(FeatureCore)
	if !ok || core.Version != 2 || !core.Persistent || !core.Current || len(core.Data) != 4 {
		t.Errorf("Feature(Core) = %+v, %v; want version 2, persistent, current, 4 bytes", core, ok)
	}
	want := []ProfileDescriptor{{ProfileBDRE, false}, {ProfileBDRSRM, true}}
	if p := got.Profiles(); !reflect.DeepEqual(p, want) {
		t.Errorf("Profiles() = %+v, want %+v", p, want)
	}
}

func TestParseDiscInformation(t *testing.T) {
	tail := " 00 00 00 00 00 00 00 00 00 00"
	tests := []struct {
		name string
		in   string
		want DiscInformation
	}{
		{"blank BD-R", "00 20 00 01 01 01 01 00 00 00 00 00 00 00 00 00 ff ff ff ff 00 ba 74 00" + tail,
			DiscInformation{Status: DiscEmpty, FirstTrack: 1, Sessions: 1, FirstTrackInLastSession: 1, LastTrackInLastSession: 1,
				LastSessionLeadIn: 0xFFFFFFFF, LastPossibleLeadOut: BDRSingleLayer}},
		{"appendable, MSBs", "00 20 05 01 02 03 04 00 00 01 02 03 00 00 00 00 00 00 00 00 00 ba 74 00",
			DiscInformation{LastSessionState: 1, Status: DiscIncomplete, FirstTrack: 1, Sessions: 0x102, FirstTrackInLastSession: 0x203,
				LastTrackInLastSession: 0x304, LastPossibleLeadOut: BDRSingleLayer}},
		{"complete", "00 20 0e 01 01 01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
			DiscInformation{LastSessionState: 3, Status: DiscComplete, FirstTrack: 1, Sessions: 1, FirstTrackInLastSession: 1, LastTrackInLastSession: 1}},
		{"BD-RE erasable, random access", "00 20 1f 01 01 01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
			DiscInformation{Erasable: true, LastSessionState: 3, Status: DiscOther, FirstTrack: 1, Sessions: 1, FirstTrackInLastSession: 1, LastTrackInLastSession: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDiscInformation(h(tc.in))
			if err != nil || *got != tc.want {
				t.Errorf("ParseDiscInformation(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"00 20 00", "00 20 40 01 01 01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"} {
		if _, err := ParseDiscInformation(h(bad)); err == nil {
			t.Errorf("ParseDiscInformation(%s) = nil error, want ErrBadResponse", bad)
		}
	}
}

func TestParseTrackInformation(t *testing.T) {
	in := h("00 2e 01 01 00 05 40 01  00 00 00 00  00 00 00 40  00 ba 73 c0  00 00 00 20  00 ba 74 00  00 00 00 3f  00 00 00 00" +
		" 00 00 00 00 00 00 00 00 00 00 00 00")
	want := TrackInformation{Track: 1, Session: 1, TrackMode: 5, Blank: true, NWAValid: true, NextWritable: 0x40,
		Free: BDRSingleLayer - 0x40, PacketSize: 32, Size: BDRSingleLayer, LastRecorded: 0x3F}
	got, err := ParseTrackInformation(in)
	if err != nil || *got != want {
		t.Errorf("ParseTrackInformation() = %+v, %v; want %+v", got, err, want)
	}
	in[32], in[33], in[6], in[7] = 1, 2, 0x90, 0x02
	got, _ = ParseTrackInformation(in)
	if got.Track != 0x101 || got.Session != 0x201 || !got.RT || !got.FP || got.Blank || !got.LRAValid || got.NWAValid {
		t.Errorf("ParseTrackInformation(MSBs, flags) = %+v", got)
	}
}

func TestParseSmallResponses(t *testing.T) {
	c, err := ParseCapacity(h("00 ba 73 ff 00 00 08 00"))
	if err != nil || *c != (Capacity{LastLBA: BDRSingleLayer - 1, BlockLength: 2048}) {
		t.Errorf("ParseCapacity() = %+v, %v", c, err)
	}
	fc, err := ParseFormatCapacities(h("00 00 00 18  00 ba 74 00 02 00 08 00  00 ba 74 00 c0 00 30 00  00 c0 00 00 c4 00 00 00"))
	wantFC := &FormatCapacities{CurrentBlocks: BDRSingleLayer, CurrentType: CapacityFormatted, BlockLength: 2048,
		Formattable: []FormatCapacity{{Blocks: BDRSingleLayer, FormatType: 0x30, Param: 0x3000}, {Blocks: 0xC00000, FormatType: 0x31}}}
	if err != nil || !reflect.DeepEqual(fc, wantFC) {
		t.Errorf("ParseFormatCapacities() = %+v, %v; want %+v", fc, err, wantFC)
	}
	ds, err := ParseDiscStructure(h("00 22 00 00  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff"))
	if err != nil {
		t.Fatalf("ParseDiscStructure() error = %v", err)
	}
	id, mac, err := ds.AACSMediaID()
	if err != nil || id[0] != 0 || id[15] != 0x0f || mac[0] != 0xf0 || len(mac) != 16 {
		t.Errorf("AACSMediaID() = %x, %x, %v", id, mac, err)
	}
	ev, err := ParseEventStatus(h("00 06 04 10  02 02 00 00"))
	if err != nil || ev.Class != 4 || ev.MediaEvent != MediaEventNewMedia || !ev.MediaPresent || ev.DoorOpen || ev.NEA {
		t.Errorf("ParseEventStatus() = %+v, %v; want new media, present", ev, err)
	}
	p, err := ParsePerformance(h("00 00 00 24 02 00 00 00  02 00 00 00 00 ba 73 ff 00 00 8c a0 00 00 8c a0  00 00 00 00 00 ba 73 ff 00 00 8c a0 00 01 19 40"), PerfTypeWriteSpeed)
	wantP := &PerformanceData{Write: true, Speeds: []WriteSpeed{{Exact: true, EndLBA: BDRSingleLayer - 1, ReadKBps: 36000, WriteKBps: 36000},
		{EndLBA: BDRSingleLayer - 1, ReadKBps: 36000, WriteKBps: 72000}}}
	if err != nil || !reflect.DeepEqual(p, wantP) {
		t.Errorf("ParsePerformance() = %+v, %v; want %+v", p, err, wantP)
	}
	m, err := ParseModeSense10(h("00 1c 00 00 00 00 00 00  2a 04 01 02 03 04  45 0a 00 0c 01 02 03 04 05 06 07 08 09 0a 0b 0c"))
	if err != nil || len(m.Pages) != 2 || m.Pages[0].Code != 0x2A || len(m.Pages[0].Data) != 4 || !m.Pages[1].SPF || m.Pages[1].Subpage != 0x0A || len(m.Pages[1].Data) != 12 {
		t.Errorf("ParseModeSense10() = %+v, %v", m, err)
	}
}

func TestParsersRejectShortInput(t *testing.T) {
	for name, parse := range parsers() {
		for n := range 4 {
			if err := parse(make([]byte, n)); err == nil {
				t.Errorf("%s(%d zero bytes) = nil error, want an error", name, n)
			}
		}
	}
}

// parsers lists every response parser for the table test above and the
// fuzz targets.
func parsers() map[string]func([]byte) error {
	return map[string]func([]byte) error{
		"ParseInquiry":          func(b []byte) error { _, err := ParseInquiry(b); return err },
		"ParseConfiguration":    func(b []byte) error { _, err := ParseConfiguration(b); return err },
		"ParseDiscInformation":  func(b []byte) error { _, err := ParseDiscInformation(b); return err },
		"ParseTrackInformation": func(b []byte) error { _, err := ParseTrackInformation(b); return err },
		"ParseCapacity":         func(b []byte) error { _, err := ParseCapacity(b); return err },
		"ParseFormatCapacities": func(b []byte) error { _, err := ParseFormatCapacities(b); return err },
		"ParseDiscStructure":    func(b []byte) error { _, err := ParseDiscStructure(b); return err },
		"ParseEventStatus":      func(b []byte) error { _, err := ParseEventStatus(b); return err },
		"ParsePerformance":      func(b []byte) error { _, err := ParsePerformance(b, PerfTypeWriteSpeed); return err },
		"ParseModeSense10":      func(b []byte) error { _, err := ParseModeSense10(b); return err },
		"ParseSense":            func(b []byte) error { _, err := ParseSense(b); return err },
	}
}

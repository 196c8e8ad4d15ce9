package drivesim

import (
	"copystation/drive"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

func TestInquiry(t *testing.T) {
	d, _ := newTestDrive(t, 0, Options{Seed: 0xABCD})
	tests := []struct {
		name string
		cdb  string
		want string
	}{
		{"standard, cut to 8 bytes", "12 00 00 00 08 00", "05 80 06 12 1f 00 00 00"},
		{"VPD supported pages", "12 01 00 00 ff 00", "05 00 00 02 00 80"},
		{"VPD unit serial number", "12 01 80 00 ff 00", "05 80 00 0c" + hex.EncodeToString([]byte("CSIM0000ABCD"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cdb, _ := hex.DecodeString(h(tt.cdb))
			got := hex.EncodeToString(run(t, d, cdb, drive.DirIn, make([]byte, 255)))
			if got != h(tt.want) {
				t.Errorf("INQUIRY(%s) = %s, want %s", tt.cdb, got, h(tt.want))
			}
		})
	}
	std := run(t, d, []byte{0x12, 0, 0, 0, 36, 0}, drive.DirIn, make([]byte, 36))
	if string(std[8:36]) != vendorID+productID+revisionID {
		t.Errorf("INQUIRY identity = %q, want %q", std[8:36], vendorID+productID+revisionID)
	}
}

func TestIllegalRequests(t *testing.T) {
	tests := []struct {
		name string
		cdb  string
		want string
	}{
		{"unknown opcode", "ff 00 00 00 00 00 00 00 00 00 00 00", fixedSense(5, 0x20, 0, nil, [3]byte{0xCF, 0, 0})},
		{"vendor opcode", "c0 00 00 00 00 00 00 00 00 00 00 00", fixedSense(5, 0x20, 0, nil, [3]byte{0xCF, 0, 0})},
		{"NACA in control byte", "00 00 00 00 00 04", fixedSense(5, 0x24, 0, nil, [3]byte{0xCA, 0, 5})},
		{"INQUIRY page without EVPD", "12 00 80 00 ff 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 2})},
		{"INQUIRY unknown VPD page", "12 01 83 00 ff 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 2})},
		{"GET CONFIGURATION RT 11b", "46 03 00 00 00 00 00 00 08 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xC9, 0, 1})},
		{"GESN asynchronous", "4a 00 00 00 10 00 00 00 08 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xC8, 0, 1})},
		{"MODE SENSE saved values", "5a 00 ea 00 00 00 00 00 ff 00", fixedSense(5, 0x39, 0, nil, [3]byte{})},
		{"MODE SENSE unknown page", "5a 00 05 00 00 00 00 00 ff 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCD, 0, 2})},
		{"READ DISC INFORMATION data type", "51 01 00 00 00 00 00 00 22 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCA, 0, 1})},
		{"READ TRACK INFORMATION no such track", "52 01 00 00 00 09 00 00 30 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 2})},
		{"READ DISC STRUCTURE DVD on BD", "ad 00 00 00 00 00 00 00 00 ff 00 00", fixedSense(5, 0x30, 0x02, nil, [3]byte{})},
		{"READ DISC STRUCTURE unknown format", "ad 01 00 00 00 00 00 30 00 ff 00 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 7})},
		{"GET PERFORMANCE unknown type", "ac 00 00 00 00 00 00 00 00 01 7f 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 10})},
		{"SET STREAMING DBI cache zone", "b6 00 00 00 00 00 00 00 05 00 1c 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 8})},
		{"FORMAT UNIT without FmtData", "04 01 00 00 00 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCC, 0, 1})},
		{"FORMAT UNIT on BD-R", "04 11 00 00 00 00", fixedSense(5, 0x1A, 0, nil, [3]byte{})},
		{"RESERVE TRACK size 0", "53 00 00 00 00 00 00 00 00 00", fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 5})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDrive(t, BDR25, Options{})
			cdb, _ := hex.DecodeString(h(tt.cdb))
			wantSense(t, d, cdb, drive.DirIn, make([]byte, 255), tt.want)
		})
	}
}

func TestGetConfiguration(t *testing.T) {
	tests := []struct {
		name        string
		media       MediaType
		rt          byte
		start       uint16
		wantProfile drive.Profile
		wantCodes   []uint16
	}{
		{"no medium, all", 0, 0, 0, drive.ProfileNone,
			[]uint16{0x0000, 0x0001, 0x0002, 0x0003, 0x0010, 0x0023, 0x0024, 0x0040, 0x0041, 0x0107, 0x0108}},
		{"no medium, current", 0, 1, 0, drive.ProfileNone, []uint16{0x0000, 0x0001, 0x0002, 0x0003, 0x0108}},
		{"BD-R, current", BDR25, 1, 0, drive.ProfileBDRSRM,
			[]uint16{0x0000, 0x0001, 0x0002, 0x0003, 0x0010, 0x0040, 0x0041, 0x0107, 0x0108}},
		{"BD-RE, current from 20h", BDRE25, 1, 0x20, drive.ProfileBDRE,
			[]uint16{0x0023, 0x0024, 0x0040, 0x0041, 0x0107, 0x0108}},
		{"BD-R DL, one feature", BDR50, 2, 0x0041, drive.ProfileBDRSRM, []uint16{0x0041}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDrive(t, tt.media, Options{})
			cdb := cdbAlloc10(drive.OpGetConfiguration, tt.rt, 1024)
			binary.BigEndian.PutUint16(cdb[2:], tt.start)
			b := run(t, d, cdb, drive.DirIn, make([]byte, 1024))
			if got := drive.Profile(binary.BigEndian.Uint16(b[6:])); got != tt.wantProfile {
				t.Errorf("current profile = %#04x, want %#04x", got, tt.wantProfile)
			}
			if n := int(binary.BigEndian.Uint32(b)) + 4; n != len(b) {
				t.Errorf("data length + 4 = %d, want %d bytes returned", n, len(b))
			}
			var codes []uint16
			for p := b[8:]; len(p) >= 4; p = p[4+int(p[3]):] {
				codes = append(codes, binary.BigEndian.Uint16(p))
				if p[3]%4 != 0 {
					t.Errorf("feature %#04x additional length %d, want a multiple of 4", codes[len(codes)-1], p[3])
				}
			}
			if hex.EncodeToString(u16s(codes)) != hex.EncodeToString(u16s(tt.wantCodes)) {
				t.Errorf("features = %04x, want %04x", codes, tt.wantCodes)
			}
		})
	}
}

func u16s(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func TestMediaIdentifier(t *testing.T) {
	ids := map[string]bool{}
	for seed := range uint64(3) {
		d, _ := newTestDrive(t, BDR25, Options{Seed: seed})
		cdb, _ := hex.DecodeString(h("ad 01 00000000 00 86 0024 00 00"))
		b := run(t, d, cdb, drive.DirIn, make([]byte, 64))
		if len(b) != 36 || binary.BigEndian.Uint16(b) != 34 {
			t.Fatalf("media ID response = %x, want 36 bytes with data length 34", b)
		}
		id := hex.EncodeToString(b[4:20])
		if ids[id] {
			t.Errorf("seed %d: media ID %s repeats", seed, id)
		}
		ids[id] = true
		d.Remove()
		d.Insert(BDR25)
		d2, _ := newTestDrive(t, BDR25, Options{Seed: seed})
		b2 := run(t, d2, cdb, drive.DirIn, make([]byte, 64))
		if got := hex.EncodeToString(b2[4:20]); got != id {
			t.Errorf("seed %d: media ID = %s on a second run, want %s", seed, got, id)
		}
	}
}

func TestPerformanceAndStreaming(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{SpeedX: 12})
	cdb, _ := hex.DecodeString(h("ac 00 00000000 00 00 0010 03 00"))
	b := run(t, d, cdb, drive.DirIn, make([]byte, 8+16*16))
	var speeds []uint32
	for p := b[8:]; len(p) >= 16; p = p[16:] {
		speeds = append(speeds, binary.BigEndian.Uint32(p[12:]))
	}
	want := []uint32{54000, 45000, 36000, 27000, 18000, 9000, 4500}
	if hex.EncodeToString(u32s(speeds)) != hex.EncodeToString(u32s(want)) {
		t.Errorf("write speeds = %v kB/s, want %v", speeds, want)
	}
	// Ask for 7x (31,500 kB/s): the drive takes 6x.
	desc := make([]byte, perfDescLen)
	binary.BigEndian.PutUint32(desc[8:], drive.BDRSingleLayer-1)
	binary.BigEndian.PutUint32(desc[20:], 31500)
	binary.BigEndian.PutUint32(desc[24:], 1000)
	set, _ := hex.DecodeString(h("b6 00 00000000 0000 00 001c 00"))
	run(t, d, set, drive.DirOut, desc)
	cur, _ := hex.DecodeString(h("ac 14 00000000 00 00 0001 00 00"))
	b = run(t, d, cur, drive.DirIn, make([]byte, 24))
	if got := binary.BigEndian.Uint32(b[8+12:]); got != 27000 || b[4] != 0x02 {
		t.Errorf("nominal write performance = %d kB/s (flags %#x), want 27000 with Write set", got, b[4])
	}
	binary.BigEndian.PutUint32(desc[24:], 0)
	wantSense(t, d, set, drive.DirOut, desc, fixedSense(5, 0x26, 0, nil, [3]byte{0x8F, 0, 24}))
}

func u32s(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func TestModeSense(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	tests := []struct {
		name      string
		page      byte
		wantPages []byte
		wantLen   int
	}{
		{"error recovery", 0x01, []byte{0x01}, 8 + 12},
		{"capabilities", 0x2A, []byte{0x2A}, 8 + 32},
		{"all pages", 0x3F, []byte{0x01, 0x1A, 0x2A}, 8 + 12 + 12 + 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cdb := cdbAlloc10(drive.OpModeSense10, 0x08, 512)
			cdb[2] = tt.page
			b := run(t, d, cdb, drive.DirIn, make([]byte, 512))
			if len(b) != tt.wantLen || int(binary.BigEndian.Uint16(b))+2 != len(b) {
				t.Fatalf("MODE SENSE(%#x) = %d bytes, mode data length %d, want %d bytes", tt.page, len(b), binary.BigEndian.Uint16(b), tt.wantLen)
			}
			var pages []byte
			for p := b[8:]; len(p) >= 2; p = p[2+int(p[1]):] {
				pages = append(pages, p[0])
			}
			if string(pages) != string(tt.wantPages) {
				t.Errorf("MODE SENSE(%#x) pages = %x, want %x", tt.page, pages, tt.wantPages)
			}
		})
	}
}

// TestFeatureLengths checks the additional length of each feature against
// its MMC-6 layout.
func TestFeatureLengths(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	b := run(t, d, cdbAlloc10(drive.OpGetConfiguration, 0, 1024), drive.DirIn, make([]byte, 1024))
	want := map[uint16]byte{0x0000: 16, 0x0001: 8, 0x0002: 4, 0x0003: 4, 0x0010: 8, 0x0023: 8,
		0x0024: 4, 0x0040: 28, 0x0041: 24, 0x0107: 4, 0x0108: 12}
	for p := b[8:]; len(p) >= 4; p = p[4+int(p[3]):] {
		code := binary.BigEndian.Uint16(p)
		if p[3] != want[code] {
			t.Errorf("feature %04xh additional length = %d, want %d", code, p[3], want[code])
		}
	}
}

package drivesim

import (
	"copystation/drive"
	"encoding/binary"
	"testing"
)

type discInfo struct {
	status, lastSession, sessions, firstInLast, lastInLast int
	erasable                                               bool
	leadOut                                                uint32
}

func readDiscInfo(t *testing.T, d *Drive) discInfo {
	t.Helper()
	b := run(t, d, cdbAlloc10(drive.OpReadDiscInformation, 0, 34), drive.DirIn, make([]byte, 34))
	return discInfo{
		status: int(b[2] & 3), lastSession: int(b[2] >> 2 & 3), sessions: int(b[4]),
		firstInLast: int(b[5]), lastInLast: int(b[6]), erasable: b[2]&0x10 != 0,
		leadOut: binary.BigEndian.Uint32(b[20:24]),
	}
}

type trackInfoResp struct {
	number, session           int
	start, nwa, free, size    uint32
	lra                       uint32
	blank, nwaValid, lraValid bool
}

func readTrack(t *testing.T, d *Drive, kind byte, addr uint32) trackInfoResp {
	t.Helper()
	b := run(t, d, cdbTrackInfo(kind, addr), drive.DirIn, make([]byte, 48))
	return trackInfoResp{
		number: int(b[2]), session: int(b[3]),
		start: binary.BigEndian.Uint32(b[8:]), nwa: binary.BigEndian.Uint32(b[12:]),
		free: binary.BigEndian.Uint32(b[16:]), size: binary.BigEndian.Uint32(b[24:]),
		lra: binary.BigEndian.Uint32(b[28:]), blank: b[6]&0x40 != 0,
		nwaValid: b[7]&1 != 0, lraValid: b[7]&2 != 0,
	}
}

func readCapacity(t *testing.T, d *Drive) uint32 {
	t.Helper()
	c := make([]byte, 10)
	c[0] = byte(drive.OpReadCapacity)
	b := run(t, d, c, drive.DirIn, make([]byte, 8))
	if bl := binary.BigEndian.Uint32(b[4:]); bl != 2048 {
		t.Fatalf("READ CAPACITY block length = %d, want 2048", bl)
	}
	return binary.BigEndian.Uint32(b)
}

// TestBDRLifecycle walks a BD-R from blank through two sessions to
// finalised, checking what READ DISC INFORMATION, READ TRACK INFORMATION
// and READ CAPACITY report at each step.
func TestBDRLifecycle(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	const sl = drive.BDRSingleLayer
	check := func(step string, want discInfo, wantCap uint32) {
		t.Helper()
		got := readDiscInfo(t, d)
		if got != want {
			t.Errorf("%s: disc info = %+v, want %+v", step, got, want)
		}
		if c := readCapacity(t, d); c != wantCap {
			t.Errorf("%s: READ CAPACITY = %d, want %d", step, c, wantCap)
		}
	}
	check("blank", discInfo{0, 0, 1, 1, 1, false, sl}, 0)
	if got := readTrack(t, d, 1, 0xFF); got != (trackInfoResp{1, 1, 0, 0, sl, sl, 0, true, true, false}) {
		t.Errorf("blank invisible track = %+v", got)
	}

	run(t, d, cdbWrite12(0, 100, true), drive.DirOut, pattern(0, 100))
	check("writing", discInfo{1, 1, 1, 1, 1, false, sl}, 99)
	if got := readTrack(t, d, 1, 1); got.nwa != 100 || got.free != sl-100 || !got.lraValid || got.lra != 99 || got.blank {
		t.Errorf("track 1 after 100 sectors = %+v, want NWA 100, free %d, LRA 99", got, sl-100)
	}
	// SYNCHRONIZE CACHE pads the last ECC cluster: NWA 100 -> 128.
	run(t, d, cdbSync(false), drive.DirNone, nil)
	if got := readTrack(t, d, 1, 1); got.nwa != 128 {
		t.Errorf("NWA after SYNCHRONIZE CACHE = %d, want 128", got.nwa)
	}
	run(t, d, cdbClose(closeTrack, 1, false), drive.DirNone, nil)
	if got := readTrack(t, d, 1, 1); got.nwaValid || got.size != 128 {
		t.Errorf("closed track 1 = %+v, want size 128 and no NWA", got)
	}
	if got := readTrack(t, d, 1, 0xFF); got.number != 2 || got.start != 128 || got.nwa != 128 || !got.blank {
		t.Errorf("invisible track after close = %+v, want track 2 at 128, blank", got)
	}
	check("track closed", discInfo{1, 1, 1, 1, 2, false, sl}, 127)

	run(t, d, cdbClose(closeSession, 0, false), drive.DirNone, nil)
	check("session closed", discInfo{1, 0, 2, 2, 2, false, sl}, 127)
	if got := readTrack(t, d, 2, 2); got.number != 2 || got.session != 2 || got.start != 128 {
		t.Errorf("first track of session 2 = %+v, want track 2 at 128", got)
	}
	run(t, d, cdbWrite12(128, 32, true), drive.DirOut, pattern(128, 32))
	check("second session", discInfo{1, 1, 2, 2, 2, false, sl}, 159)

	run(t, d, cdbClose(closeFinalize, 0, false), drive.DirNone, nil)
	check("finalised", discInfo{2, 3, 2, 2, 2, false, 0xFFFFFFFF}, 159)
	got := run(t, d, cdbRead12(120, 40), drive.DirIn, make([]byte, 40*2048))
	if !equalBytes(got[16*2048:], pattern(128, 32)[8*2048:]) {
		t.Errorf("read across sessions differs from what was written")
	}
}

func TestBDRWriteOnceRules(t *testing.T) {
	const sl = drive.BDRSingleLayer
	tests := []struct {
		name string
		cdb  []byte
		dir  drive.Direction
		buf  []byte
		want string
	}{
		{"write ahead of NWA", cdbWrite12(64, 32, true), drive.DirOut, pattern(64, 32),
			fixedSense(5, 0x21, 0x02, lbaPtr(64), [3]byte{})},
		{"rewrite a recorded sector", cdbWrite10(0, 32), drive.DirOut, pattern(0, 32),
			fixedSense(5, 0x21, 0x02, lbaPtr(0), [3]byte{})},
		{"write past the end", cdbWrite12(sl-16, 32, true), drive.DirOut, pattern(0, 32),
			fixedSense(5, 0x21, 0x00, lbaPtr(sl-16), [3]byte{})},
		{"read an unrecorded sector", cdbRead12(30, 4), drive.DirIn, make([]byte, 4*2048),
			fixedSense(5, 0x21, 0x00, lbaPtr(32), [3]byte{})},
		{"read past the end", cdbRead10(sl, 1), drive.DirIn, make([]byte, 2048),
			fixedSense(5, 0x21, 0x00, lbaPtr(sl), [3]byte{})},
		{"close a blank invisible track", cdbClose(closeTrack, 2, false), drive.DirNone, nil,
			fixedSense(5, 0x2C, 0x00, nil, [3]byte{})},
		{"close function 011b", cdbClose(3, 0, false), drive.DirNone, nil,
			fixedSense(5, 0x24, 0x00, nil, [3]byte{0xCA, 0, 2})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDrive(t, BDR25, Options{})
			run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
			run(t, d, cdbClose(closeTrack, 1, false), drive.DirNone, nil)
			wantSense(t, d, tt.cdb, tt.dir, tt.buf, tt.want)
		})
	}
}

func TestBDRFinalisedRefusesWrites(t *testing.T) {
	d, _ := newTestDrive(t, BDR50, Options{})
	run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
	run(t, d, cdbClose(closeFinalize, 0, false), drive.DirNone, nil)
	wantSense(t, d, cdbWrite12(32, 32, true), drive.DirOut, pattern(32, 32),
		fixedSense(5, 0x21, 0x02, lbaPtr(32), [3]byte{}))
	wantSense(t, d, cdbClose(closeFinalize, 0, false), drive.DirNone, nil, fixedSense(5, 0x2C, 0, nil, [3]byte{}))
	if got := readDiscInfo(t, d); got.status != statusComplete || got.leadOut != 0xFFFFFFFF {
		t.Errorf("finalised BD-R DL disc info = %+v, want complete", got)
	}
}

func TestBDRBlankFinalizeRefused(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	wantSense(t, d, cdbClose(closeFinalize, 0, false), drive.DirNone, nil, fixedSense(5, 0x2C, 0, nil, [3]byte{}))
	wantSense(t, d, cdbClose(closeSession, 0, false), drive.DirNone, nil, fixedSense(5, 0x2C, 0, nil, [3]byte{}))
}

func TestReserveTrack(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	c := make([]byte, 10)
	c[0] = byte(drive.OpReserveTrack)
	binary.BigEndian.PutUint32(c[5:], 1000) // rounds up to 1024
	run(t, d, c, drive.DirNone, nil)
	if got := readTrack(t, d, 1, 1); got.size != 1024 || got.nwa != 0 || !got.nwaValid {
		t.Errorf("reserved track 1 = %+v, want size 1024, NWA 0", got)
	}
	if got := readTrack(t, d, 1, 0xFF); got.number != 2 || got.start != 1024 {
		t.Errorf("invisible track = %+v, want track 2 at 1024", got)
	}
	// Both tracks are open: each takes writes at its own NWA.
	run(t, d, cdbWrite12(1024, 32, true), drive.DirOut, pattern(1024, 32))
	run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
	wantSense(t, d, cdbWrite12(1000, 32, true), drive.DirOut, pattern(1000, 32),
		fixedSense(5, 0x21, 0x02, lbaPtr(1000), [3]byte{}))
	// The invisible track is no longer blank: no second reservation.
	wantSense(t, d, c, drive.DirNone, nil, fixedSense(5, 0x2C, 0, nil, [3]byte{}))
	// Closing the reserved track pads it to its reserved size.
	run(t, d, cdbClose(closeTrack, 1, false), drive.DirNone, nil)
	if got := readTrack(t, d, 1, 1); got.lra != 1023 || got.nwaValid {
		t.Errorf("closed reserved track = %+v, want LRA 1023", got)
	}
}

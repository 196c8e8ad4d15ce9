package drivesim

import (
	"bytes"
	"copystation/drive"
	"encoding/binary"
	"testing"
	"time"
)

func TestParseMediaType(t *testing.T) {
	for _, m := range []MediaType{BDR25, BDR50, BDRE25} {
		got, err := ParseMediaType(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMediaType(%q) = %v, %v, want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMediaType("dvd-r"); err == nil {
		t.Errorf("ParseMediaType(dvd-r) = nil error, want an error")
	}
	d, _ := newTestDrive(t, 0, Options{})
	if err := d.Insert(MediaType(9)); err == nil {
		t.Errorf("Insert(MediaType(9)) = nil, want ErrBadMedia")
	}
}

// TestDiscTravels takes a written disc out, puts it into a second drive,
// and reads it there: state, data and media ID go with the disc.
func TestDiscTravels(t *testing.T) {
	a, _ := newTestDrive(t, BDR25, Options{Seed: 1})
	run(t, a, cdbWrite12(0, 64, true), drive.DirOut, pattern(0, 64))
	run(t, a, cdbClose(closeFinalize, 0, false), drive.DirNone, nil)
	disc, err := a.Remove()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newTestDrive(t, 0, Options{Seed: 2})
	if err := b.InsertDisc(disc); err != nil {
		t.Fatal(err)
	}
	wantSense(t, b, cdbTUR(), drive.DirNone, nil, fixedSense(6, 0x28, 0, nil, [3]byte{}))
	id := run(t, b, []byte{0xAD, 0x01, 0, 0, 0, 0, 0, 0x86, 0, 36, 0, 0}, drive.DirIn, make([]byte, 36))
	if !bytes.Equal(id[4:20], disc.MediaID()) {
		t.Errorf("media ID in drive b = %x, want %x", id[4:20], disc.MediaID())
	}
	if got := run(t, b, cdbRead12(0, 64), drive.DirIn, make([]byte, 64*2048)); !bytes.Equal(got, pattern(0, 64)) {
		t.Errorf("data read in drive b differs")
	}
	if got := readDiscInfo(t, b); got.status != statusComplete {
		t.Errorf("disc status in drive b = %d, want complete", got.status)
	}
	b.Remove()
	if err := disc.Destroy(); err != nil {
		t.Errorf("Destroy() = %v", err)
	}
}

func TestBDRETrackInformation(t *testing.T) {
	d, _ := newTestDrive(t, BDRE25, Options{})
	if got := readTrack(t, d, 1, 1); !got.blank || got.size != 0 {
		t.Errorf("unformatted BD-RE track = %+v, want blank", got)
	}
	run(t, d, []byte{0x04, 0x11, 0, 0, 0, 0}, drive.DirOut, []byte{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0})
	got := readTrack(t, d, 0, 5000)
	if got.number != 1 || got.size != bdreSpareCapacity || got.free != bdreSpareCapacity || !got.lraValid || got.lra != bdreSpareCapacity-1 {
		t.Errorf("formatted BD-RE track = %+v, want one track of %d sectors", got, bdreSpareCapacity)
	}
	wantSense(t, d, cdbTrackInfo(1, 2), drive.DirIn, make([]byte, 48), fixedSense(5, 0x24, 0, nil, [3]byte{0xCF, 0, 2}))
	wantSense(t, d, cdbRead12(bdreSpareCapacity, 1), drive.DirIn, make([]byte, 2048),
		fixedSense(5, 0x21, 0, lbaPtr(bdreSpareCapacity), [3]byte{}))
}

func TestResetKeepsCacheAndClearFaults(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	run(t, d, cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32))
	d.Reset() // a bus reset is not a power loss: the cache survives
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(6, 0x29, 0, nil, [3]byte{}))
	if got := readTrack(t, d, 1, 1); got.nwa != 32 {
		t.Errorf("NWA after bus reset = %d, want 32", got.nwa)
	}
	d.Inject(Fault{Kind: FaultMediumError, LBA: 0})
	d.Inject(Fault{Kind: FaultNoMedium, Duration: time.Hour})
	wantSense(t, d, cdbTUR(), drive.DirNone, nil, fixedSense(2, 0x3A, 0, nil, [3]byte{}))
	d.ClearFaults()
	run(t, d, cdbTUR(), drive.DirNone, nil)
	run(t, d, cdbRead12(0, 1), drive.DirIn, make([]byte, 2048))
}

func TestFormatCapacitiesBDR(t *testing.T) {
	d, _ := newTestDrive(t, BDR50, Options{})
	b := run(t, d, cdbAlloc10(drive.OpReadFormatCapacities, 0, 252), drive.DirIn, make([]byte, 252))
	if len(b) != 12 || binary.BigEndian.Uint32(b[4:]) != drive.BDRDualLayer || b[8] != 0x02 {
		t.Errorf("READ FORMAT CAPACITIES on BD-R DL = %x, want one formatted descriptor of %d blocks", b, drive.BDRDualLayer)
	}
	gesn := run(t, d, []byte{0x4A, 0x01, 0, 0, 0x02, 0, 0, 0, 8, 0}, drive.DirIn, make([]byte, 8))
	if !bytes.Equal(gesn, []byte{0, 2, 0x80, 0x10}) {
		t.Errorf("GESN for the operational class = %x, want NEA with media class supported", gesn)
	}
}

package drivesim

import (
	"copystation/drive"
	"testing"
	"time"
)

// FuzzDo feeds arbitrary command blocks, as a serial line may deliver, to
// drives holding each kind of medium: the drive must answer (or refuse at
// the transport level) without panicking, and sense must be well formed.
func FuzzDo(f *testing.F) {
	f.Add([]byte{0x52, 0x01, 0, 0, 0, 0xFF, 0, 0, 48, 0}, uint8(1), uint16(48), uint8(0))
	f.Add([]byte{0x46, 0x02, 0, 0x41, 0, 0, 0, 1, 0, 0}, uint8(1), uint16(256), uint8(2))
	f.Add([]byte{0xAA, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0}, uint8(2), uint16(2048), uint8(0))
	f.Add([]byte{0x5B, 0, 0x06, 0, 0, 0, 0, 0, 0, 0}, uint8(0), uint16(0), uint8(1))
	f.Add([]byte{0x04, 0x11, 0, 0, 0, 0}, uint8(2), uint16(12), uint8(2))
	f.Add([]byte{0xAD, 0x01, 0, 0, 0, 0, 0, 0x86, 0, 36, 0, 0}, uint8(1), uint16(36), uint8(0))
	f.Fuzz(func(t *testing.T, cdb []byte, dir uint8, n uint16, media uint8) {
		d, err := New(Options{Dir: t.TempDir(), Media: MediaType(media%3 + 1), DefaultTimeout: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for range 3 {
			d.Do(cdbTUR(), drive.DirNone, nil, time.Second)
		}
		// Put the disc in a varied state first: some data, a closed track.
		d.Do(cdbWrite12(0, 32, true), drive.DirOut, pattern(0, 32), time.Second)
		if media%2 == 1 {
			d.Do(cdbClose(closeTrack, 1, false), drive.DirNone, nil, time.Second)
		}
		res, err := d.Do(cdb, drive.Direction(dir%3), make([]byte, n), time.Millisecond)
		if err != nil {
			return
		}
		if res.Status == drive.StatusCheckCondition && (len(res.Sense) != fixedSenseLen || res.Sense[0]&0x7F != 0x70) {
			t.Fatalf("Do(% x) sense = %x, want 18 bytes of fixed-format sense", cdb, res.Sense)
		}
		if res.Transferred > int(n) {
			t.Fatalf("Do(% x) transferred %d bytes into a %d-byte buffer", cdb, res.Transferred, n)
		}
	})
}

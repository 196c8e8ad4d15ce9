package drivesim

import (
	"copystation/drive"
	"testing"
)

func TestWriteCloseFinalizeReadBack(t *testing.T) {
	d, _ := newTestDrive(t, BDR25, Options{})
	run(t, d, cdbWrite12(0, 64, true), drive.DirOut, pattern(0, 64))
	run(t, d, cdbWrite10(64, 32), drive.DirOut, pattern(64, 32))
	run(t, d, cdbSync(false), drive.DirNone, nil)
	run(t, d, cdbClose(closeTrack, 1, false), drive.DirNone, nil)
	run(t, d, cdbClose(closeFinalize, 0, false), drive.DirNone, nil)
	got := run(t, d, cdbRead12(0, 96), drive.DirIn, make([]byte, 96*2048))
	if !equalBytes(got, append(pattern(0, 64), pattern(64, 32)...)) {
		t.Fatalf("read back differs")
	}
}

package guesttest

import (
	"path/filepath"
	"strconv"
	"testing"

	"copystation/drive"
	"copystation/drive/sgio/guesttest/report"
)

// TestGuestTCMU is the stretch of the guest test: the project's BD burner
// simulator, served through TCMU and tcm_loop, is a SCSI device of the
// guest kernel, and the drive package burns and reads back a BD-R through
// /dev/sg* (closing the session) and then /dev/sr* (finalising a fresh
// blank), so WRITE(12), SYNCHRONIZE CACHE and CLOSE TRACK/SESSION travel
// through the real midlayer and sg and sr drivers.
func TestGuestTCMU(t *testing.T) {
	t.Parallel() // each guest is one QEMU process on its own core
	dir := t.TempDir()
	data := writeImage(t, filepath.Join(dir, "burn.img"), imageSectors)
	run := bootGuest(t, bootSpec{dir: dir, modules: append(BootModules[:len(BootModules):len(BootModules)], TCMUModules...),
		args: []string{"-devices", "1", "-tcmu"}, files: map[string][]byte{"disc.img": data}})

	setup, found := run.find("", "tcmu-setup")
	if !found || !setup.OK() {
		t.Fatalf("tcmu-setup = %+v, want the simulator exported", setup)
	}
	sectors, sum := strconv.Itoa(imageSectors), sha(data)
	nodes := run.nodes(t, "1") // tcm_loop puts LUN 0 of target portal group 1 at target 1
	for i, node := range nodes {
		closing, state := "closesession", "appendable"
		if i == 1 {
			closing, state = "finalize", "complete"
		}
		t.Run("burn"+node, func(t *testing.T) {
			run.verify(t, node, []expect{
				{"identify", ok("vendor", "COPYSTN", "product", "VIRTUAL BD-RW", "profile", "0041", "canWriteBD", "true")},
				{"waitready", ok()},
				{"mediainfo", ok("profile", "0041", "state", "blank", "capacity", strconv.Itoa(drive.BDRSingleLayer), "nextWritable", "0")},
				{"speed", ok()},
				{"writeimage", ok("sectors", sectors, "nextLBA", sectors)},
				{"synccache", ok()},
				{"closetrack", ok("track", "1")},
				{closing, ok()},
				{"mediainfo-written", ok("state", state, "lastRecorded", strconv.Itoa(imageSectors-1))},
				{"readback", ok("sectors", sectors, "sha256", sum)},
				{"readback10", ok("sectors", sectors, "sha256", sum)},
				{"eject", ok()},
				{"insert-blank", ok()},
				{"load", loadAfterChange(t, node)},
			})
		})
	}
	a, _ := run.find(nodes[0], "mediainfo")
	b, _ := run.find(nodes[1], "mediainfo")
	if id := a.Fields["mediaID"]; len(id) != 32 || id == b.Fields["mediaID"] {
		t.Errorf("media IDs = %q then %q, want two different 16-byte IDs (a fresh blank per node)", id, b.Fields["mediaID"])
	}
	trace, _ := run.find("", "tcmu-trace")
	for _, op := range []drive.Opcode{drive.OpWrite12, drive.OpSynchronizeCache, drive.OpCloseTrackSession, drive.OpRead12, drive.OpRead10} {
		if n, _ := strconv.Atoi(trace.Fields[opKey(op)]); n == 0 {
			t.Errorf("the TCMU handler saw no opcode %s: %v", opKey(op), trace.Fields)
		}
	}
	// Two images in 64 KiB units, then the fault phase's two units.
	if got, want := trace.Fields[opKey(drive.OpWrite12)], strconv.Itoa(2*imageSectors/drive.ClusterSectors+2); got != want {
		t.Errorf("WRITE(12) commands through TCMU = %s, want %s", got, want)
	}
	// Sense data with the LBA at fault survive TCMU, tcm_loop and sg.
	t.Run("faults"+nodes[0], func(t *testing.T) {
		run.verify(t, nodes[0], []expect{
			{"fault-waitready", ok()},
			{"fault-write", fails("ErrWriteError", "sense", "3/0C/00", "lba", "40", "sectors", "32")},
			{"fault-synccache", ok()},
			{"fault-read", fails("ErrUnrecoveredRead", "sense", "3/11/00", "lba", "5")},
			{"fault-becomingready", ok()},
		})
	})
}

func opKey(op drive.Opcode) string { return "op" + strconv.FormatUint(uint64(op), 16) }

// loadAfterChange checks Drive.Load after the simulator's tray took a new
// disc: the drive reports UNIT ATTENTION 06/28/00 (medium may have
// changed) to the next command, START STOP UNIT. A Load that does not
// absorb it fails; that is reported as a finding, and the next node's
// WaitReady and MediaInfo (asserted above) show the new blank is usable.
func loadAfterChange(t *testing.T, node string) func(report.Record) string {
	return func(r report.Record) string {
		if !r.OK() && r.Matches("ErrUnitAttention") && r.Fields["sense"] == "6/28/00" {
			t.Logf("FINDING %s: Drive.Load does not absorb the unit attention of a medium change: %s", node, r.Err)
			return ""
		}
		return ok()(r)
	}
}

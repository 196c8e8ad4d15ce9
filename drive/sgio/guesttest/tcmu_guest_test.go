package guesttest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
		args: []string{"-devices", "2", "-tcmu", "-conformance", "/guest.test"}, withTests: true,
		files: map[string][]byte{"disc.img": data}})

	setup, found := run.find("", "tcmu-setup")
	if !found || !setup.OK() {
		t.Fatalf("tcmu-setup = %+v, want the simulator exported", setup)
	}
	sectors, sum := strconv.Itoa(imageSectors), sha(data)
	// tcm_loop puts target portal group 1 at SCSI target 1.
	nodes, descNodes := run.nodes(t, "1", "0"), run.nodes(t, "1", "1")
	for i, node := range nodes {
		// An appendable disc's capacity is the whole BD-R; a complete
		// one's is what it holds.
		closing, state, capacity := "closesession", "appendable", strconv.Itoa(drive.BDRSingleLayer)
		if i == 1 {
			closing, state, capacity = "finalize", "complete", sectors
		}
		t.Run("burn"+node, func(t *testing.T) {
			run.verify(t, node, []expect{
				// Identify absorbs a pending unit attention (06/3F/0E
				// when LUN 1 joined the target), if the kernel has not
				// taken it first.
				{"identify-first", ok("vendor", "COPYSTN", "product", "VIRTUAL BD-RW", "profile", "0041")},
				{"identify", ok("vendor", "COPYSTN", "product", "VIRTUAL BD-RW", "profile", "0041", "canWriteBD", "true")},
				{"waitready", ok()},
				{"mediainfo", ok("profile", "0041", "state", "blank", "capacity", strconv.Itoa(drive.BDRSingleLayer), "nextWritable", "0")},
				{"speed", ok()},
				{"writeimage", ok("sectors", sectors, "nextLBA", sectors)},
				{"synccache", ok()},
				{"closetrack", ok("track", "1")},
				{closing, ok()},
				{"mediainfo-written", ok("state", state, "lastRecorded", strconv.Itoa(imageSectors-1), "capacity", capacity)},
				{"readback", ok("sectors", sectors, "sha256", sum)},
				{"readback10", ok("sectors", sectors, "sha256", sum)},
				{"eject", ok()},
				{"insert-blank", ok()},
				// The fresh blank is reported to Load's START STOP UNIT
				// as 06/28/00, which Load absorbs.
				{"load", okAbsorbing("6/28/00")},
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
	// Two images in 64 KiB units, then the two fault phases' two units each.
	if got, want := trace.Fields[opKey(drive.OpWrite12)], strconv.Itoa(2*imageSectors/drive.ClusterSectors+4); got != want {
		t.Errorf("WRITE(12) commands through TCMU = %s, want %s", got, want)
	}
	// Sense data with the LBA at fault survive TCMU, tcm_loop and sg, in
	// fixed format (LUN 0) and descriptor format (LUN 1).
	for _, tt := range []struct{ node, prefix, format string }{
		{nodes[0], "fault-", "70"},
		{descNodes[0], "dfault-", "72"},
	} {
		t.Run(tt.prefix+tt.node, func(t *testing.T) {
			run.verify(t, tt.node, []expect{
				{tt.prefix + "waitready", ok()},
				{tt.prefix + "write", fails("ErrWriteError", "sense", "3/0C/00", "lba", "40", "sectors", "32", "format", tt.format)},
				{tt.prefix + "synccache", ok()},
				{tt.prefix + "read", fails("ErrUnrecoveredRead", "sense", "3/11/00", "lba", "5", "format", tt.format)},
				{tt.prefix + "becomingready", ok()},
			})
		})
	}

	// The drive package's conformance suite, run by the guest on sgio over
	// a third simulator, on its /dev/sg* and /dev/sr*.
	conf, found := run.find("", "conformance")
	if !found || !conf.OK() {
		t.Errorf("conformance = err %q, want the suite to pass; output:\n%s", conf.Err, conf.Fields["output"])
	}
	if n := strings.Count(conf.Fields["output"], "--- PASS: TestConformanceSGIO/"); n < 2*(1+conformanceCases) {
		t.Errorf("conformance output has %d passing (sub)tests, want %d:\n%s", n, 2*(1+conformanceCases), conf.Fields["output"])
	}
}

// conformanceCases is how many cases drivetest.RunConformance runs.
const conformanceCases = 8

func opKey(op drive.Opcode) string { return "op" + strconv.FormatUint(uint64(op), 16) }

// okAbsorbing wants success after the Drive absorbed, among others, a
// unit attention with the given sense ("6/28/00"): the guest reports the
// ones each step absorbed in the field "absorbed".
func okAbsorbing(sense string) func(report.Record) string {
	return func(r report.Record) string {
		if !r.OK() {
			return "want success"
		}
		if !slices.Contains(strings.Split(r.Fields["absorbed"], ","), sense) {
			return fmt.Sprintf("want unit attention %s absorbed, absorbed %q", sense, r.Fields["absorbed"])
		}
		return ""
	}
}

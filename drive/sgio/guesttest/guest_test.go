package guesttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"copystation/drive/sgio/guesttest/report"
)

// imageSectors is the size of the test disc: 4 MiB is enough to cross
// several READ transfers and small enough to read whole under TCG.
const imageSectors = 2048

// bootDeadline bounds one guest run; a healthy run takes seconds.
const bootDeadline = 90 * time.Second

// writeImage writes a disc image whose every sector is different: the LBA
// in the first four bytes, then a pattern seeded by it, so a sector read
// from the wrong place or a short transfer changes the hash.
func writeImage(t *testing.T, path string, sectors int) []byte {
	t.Helper()
	img := make([]byte, sectors*2048)
	for lba := range sectors {
		s := img[lba*2048 : (lba+1)*2048]
		binary.BigEndian.PutUint32(s, uint32(lba))
		x := uint32(lba)*2654435761 + 1
		for i := 4; i < len(s); i++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			s[i] = byte(x)
		}
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}

// guestRun is one boot's decoded report, indexed for the assertions.
type guestRun struct {
	recs []report.Record
}

func (g guestRun) find(device, step string) (report.Record, bool) {
	for _, r := range g.recs {
		if r.Device == device && r.Step == step {
			return r, true
		}
	}
	return report.Record{}, false
}

// bootSpec is what differs between the guest tests.
type bootSpec struct {
	dir     string
	discs   []Disc
	modules []string
	args    []string
}

// bootGuest builds everything, boots the guest and returns its report.
func bootGuest(t *testing.T, spec bootSpec) guestRun {
	t.Helper()
	if _, err := QEMUPath(); err != nil {
		t.Skipf("skipping the SG_IO guest test: %v", err)
	}
	k, err := FindKernel(KernelDir())
	if err != nil {
		t.Skipf("skipping the SG_IO guest test: %v", err)
	}
	bb, err := FindBusybox()
	if err != nil {
		t.Skipf("skipping the SG_IO guest test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bootDeadline)
	defer cancel()
	dir := spec.dir

	start := time.Now()
	guest, err := BuildGuest(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	mods, err := k.Modules(spec.modules...)
	if err != nil {
		t.Fatal(err)
	}
	rd := Initramfs{Busybox: bb, Guest: guest, Modules: mods, GuestArgs: spec.args}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := rd.Write(initrd); err != nil {
		t.Fatal(err)
	}
	t.Logf("guest built in %v (kernel %s)", time.Since(start).Round(time.Millisecond), k.Release)

	g := Guest{Kernel: k, Initramfs: initrd, Report: filepath.Join(dir, "report.jsonl"),
		Discs: spec.discs}
	out, err := Boot(ctx, g)
	if out != nil {
		t.Logf("guest ran for %v", out.Elapsed.Round(time.Millisecond))
	}
	raw, rerr := os.ReadFile(g.Report)
	if err != nil || rerr != nil {
		logConsole(t, out)
		t.Fatalf("Boot = %v (report: %v)", errors.Join(err, rerr), rerr)
	}
	recs, err := report.Decode(bytes.NewReader(raw))
	if err != nil {
		logConsole(t, out)
		t.Fatalf("report.Decode = %v", err)
	}
	if len(recs) == 0 || recs[len(recs)-1].Step != report.StepDone {
		logConsole(t, out)
		t.Fatalf("the guest did not finish: %d records, last %+v", len(recs), recs[len(recs)-1:])
	}
	if testing.Verbose() {
		logConsole(t, out)
	}
	for _, r := range recs {
		t.Logf("guest: %s %s %dms err=%q is=%v %v", r.Device, r.Step, r.Millis, r.Err, r.Is, r.Fields)
	}
	return guestRun{recs: recs}
}

func logConsole(t *testing.T, out *Outcome) {
	t.Helper()
	if out != nil {
		t.Logf("guest console:\n%s", out.Console)
	}
}

func TestGuestSGIO(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disc.iso")
	data := writeImage(t, img, imageSectors)
	run := bootGuest(t, bootSpec{dir: dir, modules: BootModules, args: []string{"-devices", "2"},
		discs: []Disc{{Target: 0, Image: img}, {Target: 1}}})
	_ = sha256.Sum256(data)

	devs, ok := run.find("", "devices")
	if !ok || !devs.OK() {
		t.Fatalf("devices record = %+v, want both drives found", devs)
	}
	var full, empty []string
	for hctl, nodes := range devs.Fields {
		parts := strings.Split(hctl, ":")
		switch {
		case len(parts) == 4 && parts[2] == "0":
			full = strings.Fields(nodes)
		case len(parts) == 4 && parts[2] == "1":
			empty = strings.Fields(nodes)
		}
	}
	if len(full) != 2 || len(empty) != 2 {
		t.Fatalf("devices = %v, want sg and sr nodes for targets 0 and 1", devs.Fields)
	}
	for _, node := range full {
		t.Run("disc"+node, func(t *testing.T) {
			inq, _ := run.find(node, "inquiry")
			if inq.Fields["vendor"] != "QEMU" || inq.Fields["type"] != "5" {
				t.Errorf("%s inquiry = %+v, want vendor QEMU, type 5", node, inq)
			}
			rc, _ := run.find(node, "readcapacity")
			if got, want := rc.Fields["lastLBA"], strconv.Itoa(imageSectors-1); got != want {
				t.Errorf("%s READ CAPACITY last LBA = %q, want %q (%+v)", node, got, want, rc)
			}
		})
	}
	for _, node := range empty {
		t.Run("empty"+node, func(t *testing.T) {
			tur, _ := run.find(node, "tur")
			if !strings.Contains(tur.Fields["sense"], "3a") {
				t.Errorf("%s TEST UNIT READY sense = %q, want ASC 3A", node, tur.Fields["sense"])
			}
		})
	}
}

func TestGuestTCMU(t *testing.T) {
	run := bootGuest(t, bootSpec{dir: t.TempDir(), modules: append(BootModules[:len(BootModules):len(BootModules)], TCMUModules...),
		args: []string{"-devices", "1", "-tcmu"}})
	_ = run
}

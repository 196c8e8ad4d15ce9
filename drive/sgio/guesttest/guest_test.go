package guesttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"copystation/drive/sgio/guesttest/report"
	"copystation/internal/testenv"
)

// imageSectors is the size of the test disc: 2 MiB is 32 full-size READ
// commands per pass, and small enough to read whole several times under
// software emulation.
const imageSectors = 1024

// bootDeadline bounds one guest run: a healthy run takes 5 to 35 seconds
// (quiet to heavily loaded machine); a hung guest is killed at this point.
const bootDeadline = 120 * time.Second

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

// nodes returns the sg and sr nodes the guest found for a SCSI target and LUN.
func (g guestRun) nodes(t *testing.T, target, lun string) []string {
	t.Helper()
	devs, ok := g.find("", "devices")
	if !ok || !devs.OK() {
		t.Fatalf("devices record = %+v, want the drives found", devs)
	}
	for hctl, nodes := range devs.Fields {
		if parts := strings.Split(hctl, ":"); len(parts) == 4 && parts[2] == target && parts[3] == lun {
			if n := strings.Fields(nodes); len(n) == 2 {
				return n
			}
		}
	}
	t.Fatalf("devices = %v, want sg and sr nodes for target %s LUN %s", devs.Fields, target, lun)
	return nil
}

// expect is what one step must have reported; check returns "" when the
// record is right, or what is wrong with it.
type expect struct {
	step  string
	check func(r report.Record) string
}

// verify runs the expectations against one node's records.
func (g guestRun) verify(t *testing.T, node string, want []expect) {
	t.Helper()
	for _, w := range want {
		r, ok := g.find(node, w.step)
		if !ok {
			t.Errorf("%s %s: no record from the guest", node, w.step)
			continue
		}
		if problem := w.check(r); problem != "" {
			t.Errorf("%s %s = err %q is %v fields %v; %s", node, w.step, r.Err, r.Is, r.Fields, problem)
		}
	}
}

// ok wants success and the given field values.
func ok(fields ...string) func(report.Record) string {
	return func(r report.Record) string {
		if !r.OK() {
			return "want success"
		}
		return fieldsAre(r, fields)
	}
}

// fails wants an error matching sentinel and the given field values.
func fails(sentinel string, fields ...string) func(report.Record) string {
	return func(r report.Record) string {
		if r.OK() || !r.Matches(sentinel) {
			return "want an error matching drive." + sentinel
		}
		if strings.Contains(r.Err, "deadline exceeded") {
			return "want an immediate error, not a wait until the deadline"
		}
		return fieldsAre(r, fields)
	}
}

// fieldsAre checks key, value pairs.
func fieldsAre(r report.Record, kv []string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if got := r.Fields[kv[i]]; got != kv[i+1] {
			return fmt.Sprintf("want %s = %q, got %q", kv[i], kv[i+1], got)
		}
	}
	return ""
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// built is the guest program, compiled once for all the guest tests.
var built struct {
	once sync.Once
	dir  string
	path string // the guest program
	test string // its test binary
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func sharedGuest() (program, test string, err error) {
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "guesttest-"); built.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), bootDeadline)
		defer cancel()
		if built.path, built.err = BuildGuest(ctx, built.dir); built.err != nil {
			return
		}
		built.test, built.err = BuildGuestTest(ctx, built.dir)
	})
	return built.path, built.test, built.err
}

// bootSpec is what differs between the guest tests.
type bootSpec struct {
	dir     string
	discs   []Disc
	modules []string
	args    []string
	files   map[string][]byte
	// withTests puts the guest's test binary in the initramfs.
	withTests bool
}

// bootGuest builds everything, boots the guest and returns its report.
func bootGuest(t *testing.T, spec bootSpec) guestRun {
	t.Helper()
	if _, err := QEMUPath(); err != nil {
		skipOrFail(t, err)
	}
	k, err := FindKernel(KernelDir())
	if err != nil {
		skipOrFail(t, err)
	}
	bb, err := FindBusybox()
	if err != nil {
		skipOrFail(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bootDeadline)
	defer cancel()
	dir := spec.dir

	start := time.Now()
	guest, guestTest, err := sharedGuest()
	if err != nil {
		t.Fatal(err)
	}
	mods, err := k.Modules(spec.modules...)
	if err != nil {
		t.Fatal(err)
	}
	rd := Initramfs{Busybox: bb, Guest: guest, Modules: mods, GuestArgs: spec.args, Files: spec.files}
	if spec.withTests {
		rd.GuestTest = guestTest
	}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := rd.Write(initrd); err != nil {
		t.Fatal(err)
	}
	t.Logf("guest ready to boot in %v (kernel %s)", time.Since(start).Round(time.Millisecond), k.Release)

	g := Guest{Kernel: k, Initramfs: initrd, Report: filepath.Join(dir, "report.jsonl"),
		Discs: spec.discs}
	out, err := Boot(ctx, g)
	if out != nil {
		t.Logf("guest ran for %v", out.Elapsed.Round(time.Millisecond))
	}
	raw, rerr := os.ReadFile(g.Report)
	if err != nil || rerr != nil {
		logConsole(t, out)
		t.Fatalf("Boot = %v", errors.Join(err, rerr))
	}
	recs, err := report.Decode(bytes.NewReader(raw))
	if err != nil {
		logConsole(t, out)
		t.Fatalf("report.Decode = %v", err)
	}
	if len(recs) == 0 || recs[len(recs)-1].Step != report.StepDone {
		logConsole(t, out)
		t.Fatalf("the guest did not finish: %d records, the last %+v", len(recs), recs[max(len(recs)-1, 0):])
	}
	t.Logf("guest uptime: %ss when the guest program started, %ss when it finished",
		recs[0].Fields["uptime"], recs[len(recs)-1].Fields["uptime"])
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

// skipOrFail skips where the guest's parts are absent, except under CI
// (COPYSTATION_CI=1, set by .ci/run, which installs them; the older
// COPYSTATION_REQUIRE_GUEST=1 still counts), where a missing part is a
// failure: a half-finished .ci/guest-kernel must not turn the SG_IO proof
// into a silent skip.
func skipOrFail(t *testing.T, err error) {
	t.Helper()
	testenv.Requiref(t, "the SG_IO guest test cannot run: %v", err)
}

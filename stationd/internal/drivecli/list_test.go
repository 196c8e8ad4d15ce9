package drivecli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// sysfsTree builds a made-up machine under a temporary root: files maps
// paths below root to their contents ("" with a trailing / makes a
// directory).
func sysfsTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// machine is a host with a disk (sg0, type 0), a BD burner with a disc
// (sg1, sr0), an empty one with the old block: link layout (sg2, sr1), a
// drive whose sg node the user may not open (sg3), a drive seen only as
// a block device (sr2, no sg driver bound) and a malformed type (sg4).
var machine = map[string]string{
	"sys/class/scsi_generic/sg0/device/type":       "0\n",
	"sys/class/scsi_generic/sg0/device/block/sda/": "",
	"sys/class/scsi_generic/sg1/device/type":       "5\n",
	"sys/class/scsi_generic/sg1/device/block/sr0/": "",
	"sys/class/scsi_generic/sg2/device/type":       "5\n",
	"sys/class/scsi_generic/sg2/device/block:sr1/": "",
	"sys/class/scsi_generic/sg3/device/type":       "5\n",
	"sys/class/scsi_generic/sg4/device/type":       "five\n",
	"sys/class/scsi_generic/sg10/device/type":      "5\n",
	"sys/class/scsi_generic/bsg/":                  "",
	"sys/class/block/sda/device/type":              "0\n",
	"sys/class/block/sr0/device/type":              "5\n",
	"sys/class/block/sr1/device/type":              "5\n",
	"sys/class/block/sr2/device/type":              "5\n",
}

func TestEnumerate(t *testing.T) {
	root := sysfsTree(t, machine)
	found, err := Enumerate(root)
	if err != nil {
		t.Fatalf("Enumerate() = %v", err)
	}
	dev := func(n string) string { return filepath.Join(root, "dev", n) }
	want := []Found{
		{SG: dev("sg1"), Block: dev("sr0"), Path: dev("sg1")},
		{SG: dev("sg2"), Block: dev("sr1"), Path: dev("sg2")},
		{SG: dev("sg3"), Path: dev("sg3")},
		{SG: dev("sg4"), Path: dev("sg4"), Err: ErrBadSysfs},
		{SG: dev("sg10"), Path: dev("sg10")},
		{Block: dev("sr2"), Path: dev("sr2")},
	}
	if len(found) != len(want) {
		t.Fatalf("Enumerate() = %+v, want %+v", found, want)
	}
	for i, w := range want {
		f := found[i]
		if f.SG != w.SG || f.Block != w.Block || f.Path != w.Path || !errors.Is(f.Err, w.Err) || (w.Err == nil) != (f.Err == nil) {
			t.Errorf("Enumerate()[%d] = %+v, want %+v", i, f, w)
		}
	}
	if found, err := Enumerate(t.TempDir()); err != nil || len(found) != 0 {
		t.Errorf("Enumerate(empty root) = %v, %v; want nothing and no error", found, err)
	}
}

// TestList lists the machine above with simulated drives behind sg1, sg2,
// sg10 and sr2: each is asked with real INQUIRY and GET CONFIGURATION
// blocks; sg3 (permission denied) and sg4 (bad sysfs) are listed with
// their error and make the exit code 1.
func TestList(t *testing.T) {
	root := sysfsTree(t, machine)
	dev := func(n string) string { return filepath.Join(root, "dev", n) }
	s := newShared(t)
	s.add("sg:"+dev("sg1"), drivesim.BDR25, false)
	s.add("sg:"+dev("sg2"), 0, true)
	s.add("sg:"+dev("sg10"), drivesim.BDRE25, false)
	s.add("sg:"+dev("sr2"), 0, false)
	code, out, stderr := runDeps(t, s.deps(), "list", "--root", root)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 9 || !strings.Contains(stderr, "2 of 6 drives could not be asked") {
		t.Fatalf("list = %d\n%s%s", code, out, stderr)
	}
	wantLines := []struct{ fields []string }{
		{[]string{"PATH", "BLOCK", "VENDOR", "MODEL", "FIRMWARE", "WRITES"}},
		{[]string{dev("sg1"), dev("sr0"), "COPYSTN", "VIRTUAL BD-RW", "1.00", "BD-RE, BD-R RRM, BD-R SRM"}},
		{[]string{dev("sg2"), dev("sr1"), "COPYSTN"}},
		{[]string{dev("sg3"), "-", "?", "(error below)"}},
		{[]string{dev("sg4"), "-", "?", "(error below)"}},
		{[]string{dev("sg10"), "-", "COPYSTN"}},
		{[]string{dev("sr2"), dev("sr2"), "COPYSTN"}},
		{[]string{dev("sg3") + ": open " + dev("sg3") + ": permission denied"}},
		{[]string{dev("sg4") + ": drivecli.Enumerate: ", "unexpected sysfs contents"}},
	}
	for i, w := range wantLines {
		for _, f := range w.fields {
			if !strings.Contains(lines[i], f) {
				t.Errorf("line %d %q lacks %q", i, lines[i], f)
			}
		}
	}
	code, out, _ = runDeps(t, s.deps(), "list", "--root", root, "--json")
	var ls []Listed
	if code != 1 || json.Unmarshal([]byte(out), &ls) != nil || len(ls) != 6 || ls[0].Vendor != "COPYSTN" || ls[0].Firmware != "1.00" ||
		ls[0].Block != dev("sr0") || len(ls[0].Writes) != 3 || ls[2].Error == "" {
		t.Errorf("list --json = %d, %+v\n%s", code, ls, out)
	}
}

// TestListKeepsUnitAttention: listing a drive whose medium just changed
// leaves the unit attention (06/28/00) for the daemon that uses it.
func TestListKeepsUnitAttention(t *testing.T) {
	root := sysfsTree(t, map[string]string{"sys/class/scsi_generic/sg0/device/type": "5\n"})
	s := newShared(t)
	sim := s.add("sg:"+filepath.Join(root, "dev", "sg0"), 0, false)
	if err := (drive.TestUnitReady{}).Execute(sim); !errors.Is(err, drive.ErrUnitAttention) { // the power-on reset
		t.Fatalf("TEST UNIT READY = %v, want the power-on unit attention", err)
	}
	if err := sim.Insert(drivesim.BDR25); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runDeps(t, s.deps(), "list", "--root", root); code != 0 {
		t.Fatalf("list = %d\n%s%s", code, out, stderr)
	}
	err := drive.TestUnitReady{}.Execute(sim)
	var se *drive.SenseError
	if !errors.As(err, &se) || se.Code() != drive.ASCMediumMayHaveChanged {
		t.Errorf("TEST UNIT READY after list = %v, want 06/28/00 still pending", err)
	}
}

func TestListNothing(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no drives", []string{"list", "--root", sysfsTree(t, map[string]string{"sys/class/scsi_generic/sg0/device/type": "0\n"})}, 1,
			"no optical drive found: no SCSI device of type 5 (MMC)"},
		{"no sysfs at all", []string{"list", "--root", t.TempDir()}, 1, "is the drive connected and the sg module loaded"},
		{"positional", []string{"list", "extra"}, 2, "usage"},
		{"bad flag", []string{"list", "--device", "sim:"}, 2, "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runDeps(t, Deps{}, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.err) || out != "" {
				t.Errorf("%q = %d, %q, %q; want %d, %q", tc.args, code, out, stderr, tc.code, tc.err)
			}
		})
	}
}

func TestParseSCSIType(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  error
	}{
		{"5\n", 5, nil},
		{"0\n", 0, nil},
		{"31", 31, nil},
		{" 5 \n", 5, nil},
		{"32\n", 0, ErrBadSysfs},
		{"", 0, ErrBadSysfs},
		{"-5\n", 0, ErrBadSysfs},
		{"0x5\n", 0, ErrBadSysfs},
		{"005\n", 0, ErrBadSysfs},
		{"5\n5\n", 0, ErrBadSysfs},
	}
	for _, tc := range tests {
		got, err := ParseSCSIType([]byte(tc.in))
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("ParseSCSIType(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzParseSCSIType: any sysfs contents give a type 0 to 31 or an error.
func FuzzParseSCSIType(f *testing.F) {
	for _, s := range []string{"5\n", "0\n", "31\n", "32\n", "", "-1", "05", "\x00", "5\n5\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseSCSIType(b)
		if err == nil && (n < 0 || n > 31) {
			t.Fatalf("ParseSCSIType(%q) = %d, outside 0..31", b, n)
		}
		if err != nil && !errors.Is(err, ErrBadSysfs) {
			t.Fatalf("ParseSCSIType(%q) = %v, not ErrBadSysfs", b, err)
		}
	})
}

// FuzzDeviceNumber: names from a sysfs class directory never make the
// enumeration accept something that is not prefix + digits.
func FuzzDeviceNumber(f *testing.F) {
	for _, s := range []string{"sg0", "sg12", "sg", "sgx", "sr1", "sg-1", "sg999999", "sg9999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, ok := deviceNumber(name, "sg")
		if ok && (n < 0 || !strings.HasPrefix(name, "sg") || strings.TrimLeft(name[2:], "0123456789") != "") {
			t.Fatalf("deviceNumber(%q) = %d, true", name, n)
		}
	})
}

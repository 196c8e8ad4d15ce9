package guesttest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sgguest "copystation/drive/sgio/guesttest"
	"copystation/internal/testenv"
	"copystation/packaging"
)

// guestDeadline bounds one boot when go test sets no deadline of its own;
// docs/systemd-guest.md has the measured times (software emulation, no
// KVM). Under go test's deadline (10 minutes by default, for the whole
// package) the guest gets what is left but a minute, so a slow run still
// ends in a report rather than a panic.
const guestDeadline = 15 * time.Minute

// bootDeadline is how long the guest may run.
func bootDeadline(t *testing.T) time.Duration {
	d := guestDeadline
	if end, ok := t.Deadline(); ok {
		d = min(d, time.Until(end)-time.Minute)
	}
	return d
}

// wantChecks are the checks check.sh must report, each "ok".
var wantChecks = []string{
	"gpio-sim", "install", "stationd-unit-after-install", "stationd-enabled", "man-pages", "stationd-groups",
	"tpmrm0", "tpmrm0-device-unit", "sg-node", "gpiochip", "gpio-refused-outside-group", "gpio-stationd-opens",
	"validatord-init", "validatord-kek", "validatord-start", "validatord-ready",
	"validatord-node-info", "validatord-player-tree", "stationd-tpm-init", "stationd-start", "stationd-ready", "stationd-status",
	"gpio-leds-ready", "gpio-door",
	"validatord-watchdog", "validatord-restart-after-crash", "stationd-watchdog", "stationd-restart-after-crash", "gpio-tamper",
	"stationd-exposure", "validatord-exposure",
	"stationd-stop", "stationd-stopped-cleanly", "validatord-stop", "validatord-stopped-cleanly",
	"remove", "state-kept",
}

func TestSystemdGuest(t *testing.T) {
	k, err := Kernel()
	if err != nil {
		testenv.Require(t, err.Error())
	}
	qemu, err := sgguest.QEMUPath()
	if err != nil {
		testenv.Require(t, err.Error())
	}
	rootfs, err := Rootfs()
	if err != nil {
		testenv.Require(t, err.Error())
	}
	if _, err := sgguest.FindBusybox(); err != nil {
		testenv.Require(t, err.Error())
	}
	for _, tool := range []string{"swtpm", "mkfs.ext4", "debugfs", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed (.ci/run installs swtpm, e2fsprogs, dpkg)", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), guestDeadline+5*time.Minute)
	defer cancel()
	dir := t.TempDir()

	prep := time.Now()
	debs := buildPackages(t, ctx, dir)
	built := time.Now()
	img := filepath.Join(dir, "root.img")
	if err := Disk(ctx, rootfs, debs, img); err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(dir, "initrd")
	if err := BootInitramfs(k, initrd); err != nil {
		t.Fatal(err)
	}
	t.Logf("packages built in %v, disk made in %v (load average: %s)", built.Sub(prep).Round(time.Second),
		time.Since(built).Round(time.Second), loadAverage())
	sock := startSwtpm(t, dir)

	report := filepath.Join(dir, "report")
	bctx, bcancel := context.WithTimeout(ctx, bootDeadline(t))
	defer bcancel()
	// The console goes to a file, so a slow boot can be followed while it
	// runs (tail -f $TMPDIR/TestSystemdGuest*/001/console).
	consoleFile := filepath.Join(dir, "console")
	cf, err := os.Create(consoleFile)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	cmd := exec.CommandContext(bctx, qemu, QEMUArgs(k, initrd, img, sock, report)...)
	cmd.Stdout, cmd.Stderr = cf, cf
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err = cmd.Run()
	t.Logf("guest ran %v (load average at the end: %s)", time.Since(start).Round(time.Second), loadAverage())
	got, _ := os.ReadFile(report)
	console, _ := os.ReadFile(consoleFile)
	results := parse(string(got))
	if bctx.Err() != nil {
		err = fmt.Errorf("stopped at the deadline, %v after the boot began, before the checks were done: software emulation on a busy host is slow (docs/systemd-guest.md gives the times); give go test a longer -timeout, e.g. -timeout 30m (%v)", time.Since(start).Round(time.Second), err)
	}
	if err != nil || results["done"] == "" {
		t.Errorf("guest: %v (report done: %q)\nreport:\n%s\nconsole (tail):\n%s", err, results["done"], got, tail(string(console), 6000))
	}
	if start := results["start"]; start != "" {
		t.Logf("guest: %s", start)
	}
	for _, c := range wantChecks {
		switch r := results[c]; {
		case r == "":
			t.Errorf("check %s: not reported", c)
		case !strings.HasPrefix(r, "ok"):
			t.Errorf("check %s: %s", c, r)
		default:
			t.Logf("check %s: %s", c, r)
		}
	}
	if t.Failed() {
		t.Logf("full report:\n%s", got)
	}
}

// parse maps each check's name to its line ("ok ..." or "fail ...");
// "done" maps to "done" and "start" to the first line (the guest's kernel,
// systemd and uptime when the checks began).
func parse(report string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(report, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 1 && f[0] == "done":
			out["done"] = "done"
		case len(f) >= 1 && f[0] == "start":
			out["start"] = l
		case len(f) >= 2 && (f[0] == "ok" || f[0] == "fail"):
			out[f[1]] = l
		}
	}
	return out
}

// loadAverage is the host's /proc/loadavg, for the log: a run's time
// under emulation says little without it.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// buildPackages builds both packages for amd64 from this tree, as
// packaging/pkgbuild does.
func buildPackages(t *testing.T, ctx context.Context, dir string) map[string]string {
	t.Helper()
	bins := filepath.Join(dir, "bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", bins+"/", "copystation/stationd", "copystation/validatord/cmd/validatord")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in := packaging.Inputs{
		Version: "0.0.1", Arch: "amd64", SystemdDir: "..",
		ExampleConfig: "../../stationd/config/testdata/station.toml",
		Binary:        map[string][]byte{}, Manual: map[string][]byte{},
	}
	for _, name := range []string{"stationd", "validatord"} {
		// The page from the top-level help only: the guest checks the page
		// is installed, packaging's tests check what is on it, and asking
		// every subcommand for its help (packaging.Collect, some fifty runs
		// of each binary) took most of a minute on a busy machine.
		usage, err := exec.CommandContext(ctx, filepath.Join(bins, name), "help").Output()
		if err != nil {
			t.Fatalf("%s help: %v", name, err)
		}
		page := packaging.Page{Name: name, Section: 8, Summary: name, Version: in.Version, Usage: string(usage)}
		if in.Manual[name], err = page.Gzip(); err != nil {
			t.Fatal(err)
		}
		if in.Binary[name], err = os.ReadFile(filepath.Join(bins, name)); err != nil {
			t.Fatal(err)
		}
	}
	debs := map[string]string{}
	for name, spec := range map[string]func(packaging.Inputs) (packaging.Spec, error){"stationd": packaging.Stationd, "validatord": packaging.Validatord} {
		s, err := spec(in)
		if err != nil {
			t.Fatal(err)
		}
		if debs[name], err = packaging.Build(ctx, s, dir); err != nil {
			t.Fatal(err)
		}
	}
	return debs
}

// startSwtpm runs swtpm for the guest's TPM and returns its control socket.
func startSwtpm(t *testing.T, dir string) string {
	t.Helper()
	state := filepath.Join(dir, "tpm")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "swtpm.sock")
	cmd := exec.Command("swtpm", "socket", "--tpm2", "--tpmstate", "dir="+state,
		"--ctrl", "type=unixio,path="+sock, "--terminate")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("swtpm made no control socket %s:\n%s", sock, out.String())
	return ""
}

package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPackagedStationdLinksNoNode: the stationd that goes in the .deb
// (this table's package and tags, for both architectures) links neither
// CometBFT nor the validation node; only copystation/validatord/vault, the
// sealed-file format `disc check` reads a player's device keys from, which
// links neither. Issue 17's memory target is for this daemon: CometBFT's
// mapped text alone was 40 MiB of the daemon's resident memory. The same
// binary's demo, bench and disc verify say they are not in this build and
// how to run them from the source.
func TestPackagedStationdLinksNoNode(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	var c struct{ name, pkg, tags, summary string }
	for _, x := range commands {
		if x.name == "stationd" {
			c = x
		}
	}
	if c.tags == "" {
		t.Fatal("pkgbuild builds stationd with no tags: the packaged daemon would link the demo's validation network")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := exec.Command(goTool, "list", "-deps", "-tags="+c.tags, "copystation/stationd")
		cmd.Dir = "../.."
		cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps -tags=%s stationd (%s): %v\n%s", c.tags, arch, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/cometbft/") ||
				(strings.HasPrefix(dep, "copystation/validatord/") && dep != "copystation/validatord/vault") {
				t.Errorf("packaged stationd (%s) links %s; want no validation node in the kiosk's daemon", arch, dep)
			}
		}
	}
	bin := filepath.Join(t.TempDir(), "stationd")
	build := exec.Command(goTool, "build", "-tags="+c.tags, "-o", bin, "copystation/stationd")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags=%s stationd: %v\n%s", c.tags, err, out)
	}
	for _, args := range [][]string{{"demo"}, {"demo", "--synthetic"}, {"bench"}, {"disc", "verify"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 2 || !strings.Contains(string(out), "not in this build") || !strings.Contains(string(out), "go run ./stationd") {
			t.Errorf("packaged stationd %s = exit %d, %q; want 2, saying it is not in this build and how to run it from the source", strings.Join(args, " "), code, out)
		}
	}
	if out, err := exec.Command(bin, "help").CombinedOutput(); err != nil || !strings.Contains(string(out), "drain") {
		t.Errorf("packaged stationd help = %v, %q; want its usage", err, out)
	}
}

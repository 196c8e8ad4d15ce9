package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"copystation/internal/testenv"
)

// TestPreinstMakesGroupsBeforeUnpack runs the stationd package's preinst,
// as dpkg would before unpacking, against a scratch root (DPKG_ROOT): the
// groups 60-stationd.rules names and the stationd user must exist before
// the rule lands, or udevd parses it with "Unknown group" and leaves the
// devices root's (seen in the systemd guest: /dev/tpmrm0 root 0660).
func TestPreinstMakesGroupsBeforeUnpack(t *testing.T) {
	if _, err := exec.LookPath("systemd-sysusers"); err != nil {
		testenv.Require(t, "systemd-sysusers not installed (apt-get install systemd)")
	}
	in := Inputs{Version: "1", Arch: "amd64", SystemdDir: "../systemd",
		ExampleConfig: "../stationd/config/testdata/station.toml",
		Binary:        map[string][]byte{"stationd": []byte("x")}, Manual: map[string][]byte{"stationd": []byte("x")}}
	sc, err := in.scripts("stationd")
	if err != nil {
		t.Fatal(err)
	}
	pre, ok := sc["preinst"]
	if !ok {
		t.Fatal("the stationd package has no preinst: its groups are made only after its udev rule is unpacked")
	}
	if strings.Contains(string(pre), "#SYSUSERS#") {
		t.Fatalf("preinst still holds the #SYSUSERS# placeholder:\n%s", pre)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "preinst")
	if err := os.WriteFile(script, pre, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script, "install")
	cmd.Env = append(os.Environ(), "DPKG_ROOT="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("preinst install: %v\n%s", err, out)
	}
	group, err := os.ReadFile(filepath.Join(root, "etc/group"))
	if err != nil {
		t.Fatal(err)
	}
	// Every group the udev rule gives a device, with stationd in it.
	for _, g := range []string{"gpio", "cdrom", "tss"} {
		if !strings.Contains("\n"+string(group), "\n"+g+":") {
			t.Errorf("no group %s after preinst:\n%s", g, group)
			continue
		}
		for _, l := range strings.Split(string(group), "\n") {
			if strings.HasPrefix(l, g+":") && !strings.Contains(l, "stationd") {
				t.Errorf("stationd not in %s: %q", g, l)
			}
		}
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if !strings.Contains(string(passwd), "stationd:") {
		t.Errorf("no user stationd after preinst:\n%s", passwd)
	}
	// An upgrade runs it again; it changes nothing.
	cmd = exec.Command("sh", script, "upgrade", "0.9")
	cmd.Env = append(os.Environ(), "DPKG_ROOT="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("preinst upgrade: %v\n%s", err, out)
	}
	if again, _ := os.ReadFile(filepath.Join(root, "etc/group")); string(again) != string(group) {
		t.Errorf("preinst upgrade changed /etc/group:\n%s\nwas:\n%s", again, group)
	}
}

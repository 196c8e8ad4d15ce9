package guesttest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"copystation/internal/testenv"
)

// TestDisk makes a root disk from a small tree and reads it back with
// debugfs: the tree's files, the payload, the check service enabled, the
// masks, and the tree itself left as it was.
func TestDisk(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed (e2fsprogs)", tool)
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"etc/systemd/system/multi-user.target.wants", "usr/local/sbin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc/fstab"), []byte("# UNCONFIGURED FSTAB\n"), 0o644)
	os.Symlink("/dev/null", filepath.Join(root, "etc/systemd/system/getty.target"))
	deb := filepath.Join(dir, "x.deb")
	os.WriteFile(deb, []byte("a package"), 0o644)
	img := filepath.Join(dir, "root.img")
	if err := Disk(context.Background(), root, map[string]string{"stationd": deb}, img); err != nil {
		t.Fatal(err)
	}
	read := func(cmd string) string {
		out, err := exec.Command("debugfs", "-R", cmd, img).CombinedOutput()
		if err != nil {
			t.Fatalf("debugfs -R %q: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	if got := read("cat /payload/stationd.deb"); !strings.Contains(got, "a package") {
		t.Errorf("payload: %q", got)
	}
	if got := read("cat /etc/fstab"); !strings.Contains(got, "/dev/nvme0n1 / ext4") || strings.Contains(got, "UNCONFIGURED") {
		t.Errorf("fstab: %q", got)
	}
	if got := read("stat /usr/local/sbin/copystation-check"); !strings.Contains(got, "Mode:  0755") {
		t.Errorf("check script: %q", got)
	}
	if got := read("stat /etc/systemd/system/multi-user.target.wants/copystation-check.service"); !strings.Contains(got, "Fast link dest: \"/etc/systemd/system/copystation-check.service\"") {
		t.Errorf("check service not enabled: %q", got)
	}
	if got := read("stat /etc/systemd/system/systemd-logind.service"); !strings.Contains(got, "Fast link dest: \"/dev/null\"") {
		t.Errorf("logind not masked: %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/fstab")); string(b) != "# UNCONFIGURED FSTAB\n" {
		t.Errorf("the cached tree's fstab changed: %q", b)
	}
}

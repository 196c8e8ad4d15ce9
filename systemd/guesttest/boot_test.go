package guesttest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sgguest "copystation/drive/sgio/guesttest"
	"copystation/internal/testenv"
)

// TestBootInitramfs makes the boot stage from the cached kernel: every
// module the root disk needs is there, after the modules it depends on,
// and /init loads them in that order before it mounts the disk.
func TestBootInitramfs(t *testing.T) {
	k, err := Kernel()
	if err != nil {
		testenv.Require(t, err.Error())
	}
	if _, err := sgguest.FindBusybox(); err != nil {
		testenv.Require(t, err.Error())
	}
	mods, err := k.Modules(bootModules...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mods {
		names = append(names, strings.ReplaceAll(m.Name, "-", "_"))
	}
	before := func(a, b string) {
		i, j := slices.Index(names, a), slices.Index(names, b)
		if i < 0 || j < 0 || i > j {
			t.Errorf("modules %v: want %s before %s", names, a, b)
		}
	}
	before("nvme_core", "nvme")
	before("jbd2", "ext4")
	before("mbcache", "ext4")
	before("crc32c_generic", "ext4")
	script := bootScript(mods)
	last := 0
	for _, n := range names {
		i := strings.Index(strings.ReplaceAll(script, "-", "_"), "insmod /lib/modules/"+n+".ko")
		if i < last {
			t.Errorf("/init loads %s out of order:\n%s", n, script)
		}
		last = i
	}
	if !strings.Contains(script, "switch_root /root /sbin/init") || strings.Index(script, "mount -t ext4") < last {
		t.Errorf("/init does not mount the disk after the modules and start systemd:\n%s", script)
	}
	if err := BootInitramfs(k, filepath.Join(t.TempDir(), "initrd")); err != nil {
		t.Fatal(err)
	}
}

// TestQEMUArgsNoTimerCheck: the guest's kernel line skips the early timer
// check, which panicked the guest under TCG on a loaded host.
func TestQEMUArgsNoTimerCheck(t *testing.T) {
	args := QEMUArgs(&sgguest.Kernel{Image: "vmlinuz"}, "initrd", "disk", "sock", "report")
	i := slices.Index(args, "-append")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("QEMUArgs() = %q, want an -append", args)
	}
	if !slices.Contains(strings.Fields(args[i+1]), "no_timer_check") {
		t.Errorf("QEMUArgs() -append %q, want no_timer_check", args[i+1])
	}
}

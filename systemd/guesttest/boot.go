package guesttest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sgguest "copystation/drive/sgio/guesttest"
	"copystation/drive/sgio/guesttest/initramfs"
)

// ErrNoKernel means .ci/guest-kernel-gpio has not put the guest's kernel
// (Debian's generic kernel with gpio-sim) in the cache.
var ErrNoKernel = errors.New("guesttest: no guest kernel with gpio-sim (run .ci/guest-kernel-gpio)")

// GPIOSim is where .ci/guest-kernel-gpio puts the gpio-sim module it
// builds, relative to the kernel's modules directory.
const GPIOSim = "updates/gpio-sim.ko"

// bootModules are what the kernel needs to mount the root disk: the
// generic kernel builds NVMe and ext4 as modules (the cloud kernel built
// them in, and has no GPIO at all). ext4 and jbd2 ask the crypto API for
// crc32c when they mount, which would load crc32c_generic through modprobe;
// the boot stage has none, so it is loaded first. Kernel.Modules adds the
// rest (nvme_core, jbd2, mbcache, crc16) in load order.
var bootModules = []string{"crc32c_generic", "nvme", "ext4"}

// Kernel returns the cached guest kernel: the generic kernel unpacked by
// .ci/guest-kernel-gpio under <KernelDir>/generic, with its gpio-sim.
func Kernel() (*sgguest.Kernel, error) {
	k, err := sgguest.FindKernel(filepath.Join(sgguest.KernelDir(), "generic"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoKernel, err)
	}
	if _, err := os.Stat(filepath.Join(k.ModulesDir, GPIOSim)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoKernel, err)
	}
	return k, nil
}

// bootScript is the boot stage's /init: load the disk's modules, wait for
// the NVMe namespace, mount it and hand over to systemd. Any failure powers
// the guest off, so QEMU exits instead of waiting for the test's deadline.
func bootScript(mods []sgguest.Module) string {
	var b strings.Builder
	b.WriteString("#!/bin/busybox sh\nbb=/bin/busybox\n")
	b.WriteString("fail() { echo \"boot: $*\"; $bb poweroff -f; }\n")
	b.WriteString("$bb mount -t proc proc /proc\n$bb mount -t sysfs sysfs /sys\n$bb mount -t devtmpfs devtmpfs /dev\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "$bb insmod /lib/modules/%s.ko || fail insmod %s\n", m.Name, m.Name)
	}
	// The namespace appears once the controller's probe, which runs
	// asynchronously, is done: a second or two under emulation.
	b.WriteString("i=0\nwhile [ ! -b /dev/nvme0n1 ]; do\n\ti=$((i + 1))\n\t[ $i -lt 600 ] || fail no /dev/nvme0n1 after 60 s\n\t$bb sleep 0.1\ndone\n")
	b.WriteString("$bb mount -t ext4 -o rw /dev/nvme0n1 /root || fail mount /dev/nvme0n1\n")
	b.WriteString("$bb umount /proc /sys /dev\n")
	b.WriteString("exec $bb switch_root /root /sbin/init\n")
	return b.String()
}

// BootInitramfs writes the boot stage for k to path: a static busybox,
// the root disk's modules and bootScript, as a newc archive.
func BootInitramfs(k *sgguest.Kernel, path string) error {
	bbPath, err := sgguest.FindBusybox()
	if err != nil {
		return fmt.Errorf("guesttest.BootInitramfs: %w", err)
	}
	bb, err := os.ReadFile(bbPath)
	if err != nil {
		return fmt.Errorf("guesttest.BootInitramfs: %w", err)
	}
	mods, err := k.Modules(bootModules...)
	if err != nil {
		return fmt.Errorf("guesttest.BootInitramfs: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("guesttest.BootInitramfs: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	a := initramfs.NewWriter(w)
	for _, d := range []string{"proc", "sys", "dev", "root"} {
		a.Dir(d, 0o755)
	}
	a.CharDevice("dev/console", 0o600, 5, 1)
	a.File("bin/busybox", 0o755, bb)
	a.File("init", 0o755, []byte(bootScript(mods)))
	for _, m := range mods {
		a.File("lib/modules/"+m.Name+".ko", 0o644, m.Data)
	}
	// The writer's error is sticky: Close reports the first failure above.
	if err := errors.Join(a.Close(), w.Flush(), f.Close()); err != nil {
		return fmt.Errorf("guesttest.BootInitramfs: %w", err)
	}
	return nil
}

package guesttest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	sgguest "copystation/drive/sgio/guesttest"
)

// ErrNoRootfs means .ci/guest-rootfs has not made the guest's root file system.
var ErrNoRootfs = errors.New("guesttest: no guest root file system (run .ci/guest-rootfs after .ci/guest-kernel-gpio)")

// ErrStage means the guest's disk could not be made.
var ErrStage = errors.New("guesttest: staging the guest")

//go:embed guest/check.sh
var checkScript []byte

//go:embed guest/copystation-check.service
var checkUnit []byte

// Rootfs returns the cached root file system made by .ci/guest-rootfs,
// beside the kernel whose modules it holds.
func Rootfs() (string, error) {
	dir := filepath.Join(sgguest.KernelDir(), "generic", "rootfs")
	if _, err := os.Stat(filepath.Join(dir, "lib/systemd/systemd")); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoRootfs, err)
	}
	return dir, nil
}

// Disk makes the guest's root disk at img: the cached rootfs as an ext4
// image (mkfs.ext4 -d, so no loop mount and no root on the host are
// needed), then, written into the image with debugfs, the two packages in
// /payload, the check service enabled and the units the checks do not need
// masked. The cached tree is read, never copied or changed.
func Disk(ctx context.Context, rootfs string, debs map[string]string, img string) error {
	mk := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", "root", "-d", rootfs, img, "3G")
	if out, err := mk.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: mkfs.ext4 -d: %v\n%s", ErrStage, err, out)
	}
	extra := img + ".d"
	defer os.RemoveAll(extra)
	if err := os.Mkdir(extra, 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrStage, err)
	}
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{"/usr/local/sbin/copystation-check", checkScript, 0o755},
		{"/etc/systemd/system/copystation-check.service", checkUnit, 0o644},
		{"/etc/fstab", []byte("/dev/nvme0n1 / ext4 rw,errors=remount-ro 0 1\n"), 0o644},
	}
	cmds := []string{"mkdir /payload"}
	for i, f := range files {
		src := filepath.Join(extra, fmt.Sprint(i))
		if err := os.WriteFile(src, f.data, f.mode); err != nil {
			return fmt.Errorf("%w: %v", ErrStage, err)
		}
		os.Chmod(src, f.mode) // past the umask: debugfs copies the mode
		if _, err := os.Lstat(filepath.Join(rootfs, f.path)); err == nil {
			cmds = append(cmds, "rm "+f.path)
		}
		cmds = append(cmds, fmt.Sprintf("write %s %s", src, f.path))
	}
	for name, deb := range debs {
		cmds = append(cmds, fmt.Sprintf("write %s /payload/%s.deb", deb, name))
	}
	cmds = append(cmds, "symlink /etc/systemd/system/multi-user.target.wants/copystation-check.service /etc/systemd/system/copystation-check.service")
	for _, mask := range masked {
		if _, err := os.Lstat(filepath.Join(rootfs, "etc/systemd/system", mask)); err == nil {
			continue
		}
		cmds = append(cmds, fmt.Sprintf("symlink /etc/systemd/system/%s /dev/null", mask))
	}
	script := filepath.Join(extra, "debugfs")
	if err := os.WriteFile(script, []byte(strings.Join(cmds, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("%w: %v", ErrStage, err)
	}
	// debugfs exits 0 whatever its commands do; a failed command says so on
	// stderr, where otherwise only its banner goes.
	var stderr strings.Builder
	dbg := exec.CommandContext(ctx, "debugfs", "-w", "-f", script, img)
	dbg.Stderr = &stderr
	if err := dbg.Run(); err != nil {
		return fmt.Errorf("%w: debugfs: %v\n%s", ErrStage, err, stderr.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if l != "" && !strings.HasPrefix(l, "debugfs ") {
			return fmt.Errorf("%w: debugfs: %s\n%s", ErrStage, l, stderr.String())
		}
	}
	return nil
}

// masked are the units the guest does not start: no login prompt on the
// report port, nor on the console; no login manager, timers, maintenance
// jobs or boot-time bookkeeping (utmp, pstore, binfmt, debug file systems,
// the journal's flush to disk) competing with the checks for an emulated
// CPU. udev, journald, dbus, sysusers and tmpfiles stay: the packages use
// them.
var masked = []string{"serial-getty@ttyS0.service", "serial-getty@ttyS1.service", "getty@tty1.service",
	"getty.target", "systemd-logind.service", "systemd-user-sessions.service",
	"apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service",
	"fstrim.timer", "dpkg-db-backup.timer", "systemd-timesyncd.service",
	"systemd-update-utmp.service", "systemd-update-utmp-runlevel.service", "systemd-pstore.service",
	"systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount", "sys-kernel-debug.mount",
	"sys-kernel-tracing.mount", "dev-hugepages.mount", "systemd-journal-flush.service",
	"systemd-ask-password-wall.path"}

// noTimerCheck skips the kernel's early check that the 8254 timer reaches
// the IO-APIC: under TCG on a busy host the emulated timer can miss the
// check's short window, and the kernel then panics ("IO-APIC + timer
// doesn't work!"), as one run here did at load 33. It is the usual
// parameter for Linux guests under QEMU without KVM.
const noTimerCheck = "no_timer_check"

// QEMUArgs is the guest's command line: software emulation on two
// emulated CPUs, each its own host thread (multi-threaded TCG), 1 GiB; the
// generic kernel with the boot stage initrd (BootInitramfs), which mounts
// the root disk on NVMe and starts systemd; the TPM from
// swtpm's control socket through QEMU's tpm-emulator on a TIS interface,
// one scsi-cd with no medium (its sg node is what the udev rule must give
// the cdrom group), the console on stdio and the report on ttyS1.
func QEMUArgs(k *sgguest.Kernel, initrd, disk, swtpmSock, report string) []string {
	esc := func(s string) string { return strings.ReplaceAll(s, ",", ",,") }
	return []string{
		"-accel", "tcg,thread=multi", "-cpu", "max", "-m", "1024", "-smp", "2",
		"-nographic", "-no-reboot", "-nic", "none",
		"-kernel", k.Image, "-initrd", initrd,
		"-append", "console=ttyS0 root=/dev/nvme0n1 rootfstype=ext4 rw panic=-1 loglevel=4 systemd.show_status=1 " + noTimerCheck,
		"-drive", "file=" + esc(disk) + ",if=none,id=root,format=raw,cache=unsafe",
		"-device", "nvme,drive=root,serial=root",
		"-chardev", "socket,id=chrtpm,path=" + esc(swtpmSock),
		"-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0",
		"-device", "virtio-scsi-pci,id=scsi0",
		"-drive", "if=none,id=cd0,media=cdrom", "-device", "scsi-cd,drive=cd0,bus=scsi0.0,scsi-id=0,lun=0",
		"-serial", "mon:stdio",
		"-chardev", "file,id=report,path=" + esc(report), "-serial", "chardev:report",
	}
}

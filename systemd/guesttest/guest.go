//go:build guestsystemd

package guesttest

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	sgguest "copystation/drive/sgio/guesttest"
	"copystation/drive/sgio/guesttest/initramfs"
)

// ErrNoRootfs means .ci/guest-rootfs has not made the guest's root file system.
var ErrNoRootfs = errors.New("guesttest: no guest root file system (run .ci/guest-rootfs after .ci/guest-kernel)")

// ErrStage means the guest's disk or initramfs could not be made.
var ErrStage = errors.New("guesttest: staging the guest")

//go:embed guest/check.sh
var checkScript []byte

//go:embed guest/copystation-check.service
var checkUnit []byte

// Rootfs returns the cached root file system made by .ci/guest-rootfs.
func Rootfs() (string, error) {
	dir := filepath.Join(sgguest.KernelDir(), "rootfs")
	if _, err := os.Stat(filepath.Join(dir, "lib/systemd/systemd")); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoRootfs, err)
	}
	return dir, nil
}

// Disk makes the guest's root disk at img: a copy of rootfs with the two
// packages in /payload and the check service enabled, as an ext4 image
// (mkfs.ext4 -d, so no loop mount and no root on the host are needed).
func Disk(ctx context.Context, rootfs string, debs map[string]string, img string) error {
	stage := img + ".d"
	defer os.RemoveAll(stage)
	steps := [][]string{
		{"cp", "-a", rootfs, stage},
		{"mkdir", "-p", stage + "/payload", stage + "/usr/local/sbin", stage + "/etc/systemd/system/multi-user.target.wants"},
	}
	for name, deb := range debs {
		steps = append(steps, []string{"cp", deb, filepath.Join(stage, "payload", name+".deb")})
	}
	for _, s := range steps {
		if out, err := exec.CommandContext(ctx, s[0], s[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%w: %s: %v\n%s", ErrStage, strings.Join(s, " "), err, out)
		}
	}
	files := map[string][]byte{
		"usr/local/sbin/copystation-check":             checkScript,
		"etc/systemd/system/copystation-check.service": checkUnit,
		"etc/fstab": []byte("/dev/vda / ext4 rw,errors=remount-ro 0 1\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(stage, name), b, 0o755); err != nil {
			return fmt.Errorf("%w: %v", ErrStage, err)
		}
	}
	if err := os.Symlink("/etc/systemd/system/copystation-check.service",
		filepath.Join(stage, "etc/systemd/system/multi-user.target.wants/copystation-check.service")); err != nil {
		return fmt.Errorf("%w: %v", ErrStage, err)
	}
	// No login prompt on the report port, nor on the console; no login
	// manager, timers or maintenance jobs competing with the checks for an
	// emulated CPU.
	for _, mask := range []string{"serial-getty@ttyS0.service", "serial-getty@ttyS1.service", "getty@tty1.service",
		"systemd-logind.service", "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer",
		"fstrim.timer", "dpkg-db-backup.timer", "systemd-timesyncd.service"} {
		os.Symlink("/dev/null", filepath.Join(stage, "etc/systemd/system", mask))
	}
	mk := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", "root", "-d", stage, img, "3G")
	if out, err := mk.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: mkfs.ext4 -d: %v\n%s", ErrStage, err, out)
	}
	return nil
}

// Initramfs writes an initramfs that loads virtio_blk, mounts the root disk
// and hands over to systemd. The cloud kernel builds ext4 in but not
// virtio_blk.
func Initramfs(k *sgguest.Kernel, busybox, path string) error {
	mods, err := k.Modules("virtio_pci", "virtio_blk")
	if err != nil {
		return err
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStage, err)
	}
	var init strings.Builder
	init.WriteString("#!/bin/busybox sh\nbb=/bin/busybox\n")
	init.WriteString("$bb mount -t proc proc /proc\n$bb mount -t sysfs sysfs /sys\n$bb mount -t devtmpfs devtmpfs /dev\n")
	for _, m := range mods {
		fmt.Fprintf(&init, "$bb insmod /lib/modules/%s.ko\n", m.Name)
	}
	init.WriteString("$bb mount -t ext4 -o rw /dev/vda /newroot || { echo 'init: no root disk'; $bb poweroff -f; }\n")
	init.WriteString("$bb umount /proc /sys\n$bb mount --move /dev /newroot/dev\n")
	init.WriteString("exec $bb switch_root /newroot /lib/systemd/systemd\n")

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStage, err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	a := initramfs.NewWriter(w)
	for _, d := range []string{"proc", "sys", "dev", "newroot"} {
		a.Dir(d, 0o755)
	}
	a.CharDevice("dev/console", 0o600, 5, 1)
	a.File("bin/busybox", 0o755, bb)
	a.File("init", 0o755, []byte(init.String()))
	for _, m := range mods {
		a.File("lib/modules/"+m.Name+".ko", 0o644, m.Data)
	}
	if err := errors.Join(a.Close(), w.Flush(), f.Close()); err != nil {
		return fmt.Errorf("%w: initramfs: %v", ErrStage, err)
	}
	return nil
}

// QEMUArgs is the guest's command line: software emulation, 1 GiB, the root
// disk on virtio-blk, the TPM from swtpm's control socket through QEMU's
// tpm-emulator on a TIS interface, one scsi-cd with no medium (its sg node
// is what the udev rule must give the cdrom group), the console on stdio
// and the report on ttyS1.
func QEMUArgs(k *sgguest.Kernel, initrd, disk, swtpmSock, report string) []string {
	esc := func(s string) string { return strings.ReplaceAll(s, ",", ",,") }
	return []string{
		"-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1",
		"-nographic", "-no-reboot", "-nic", "none",
		"-kernel", k.Image, "-initrd", initrd,
		"-append", "console=ttyS0 root=/dev/vda rw panic=-1 loglevel=4 systemd.show_status=1",
		"-drive", "file=" + esc(disk) + ",if=virtio,format=raw",
		"-chardev", "socket,id=chrtpm,path=" + esc(swtpmSock),
		"-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0",
		"-device", "virtio-scsi-pci,id=scsi0",
		"-drive", "if=none,id=cd0,media=cdrom", "-device", "scsi-cd,drive=cd0,bus=scsi0.0,scsi-id=0,lun=0",
		"-serial", "mon:stdio",
		"-chardev", "file,id=report,path=" + esc(report), "-serial", "chardev:report",
	}
}

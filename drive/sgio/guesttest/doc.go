// Package guesttest boots a small Linux guest under QEMU and runs the drive
// package through SG_IO against the guest kernel's real SCSI stack.
//
// # Concepts
//
// Kernel: an unpacked Debian cloud kernel package (vmlinuz and its .ko
// modules), put in a cache directory by .ci/guest-kernel and found through
// COPYSTATION_GUEST_KERNEL_DIR.
//
// Initramfs: the guest's whole root file system, a newc cpio archive built
// at test time from a static busybox, an /init script, the modules for
// virtio-scsi, sr and sg in dependency order, and the guest program.
//
// Guest program: a static Go binary (package guest) that waits for /dev/sg*
// and /dev/sr* and runs the drive package's operations on them.
//
// Report: the guest program's observations, JSON lines on the guest's
// second serial port (ttyS1), which QEMU writes to a host file; the host
// test decodes them (package report) and asserts every value there, so the
// guest never decides whether the test passed.
package guesttest

// Package guesttest boots a Debian guest with real systemd under QEMU,
// installs the stationd and validatord packages in it and checks, with PID 1
// being systemd, what the unit files promise: both units start and reach
// READY, answer the watchdog, restart after a crash, stop cleanly, keep
// their systemd-analyze security exposure, find their devices (a TPM from
// swtpm through QEMU's tpm-emulator, an MMC drive's sg node, the kiosk's
// GPIO chip from gpio-sim) with the groups the package's udev rule gives
// them, and removal keeps the state.
//
// The guest's kernel (Debian's generic kernel, with gpio-sim built for it)
// comes from .ci/guest-kernel-gpio and its root file system from
// .ci/guest-rootfs (debootstrap), both cached outside the repository; the
// test makes a small boot stage (BootInitramfs) that mounts the root disk.
// docs/systemd-guest.md says how a run works and how long it takes. The
// test is part of go test ./...: it skips where QEMU or the cached guest is
// missing, and fails instead under COPYSTATION_CI=1.
package guesttest

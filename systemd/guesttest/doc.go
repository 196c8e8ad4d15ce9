// Package guesttest boots a Debian guest with real systemd under QEMU,
// installs the stationd and validatord packages in it and checks, with PID 1
// being systemd, what the unit files promise: both units start and reach
// READY, answer the watchdog, restart after a crash, stop cleanly, keep
// their systemd-analyze security exposure, find their devices (a TPM from
// swtpm through QEMU's tpm-emulator, an MMC drive's sg node) with the
// groups the package's udev rule gives them, and removal keeps the state.
//
// The guest's kernel comes from .ci/guest-kernel and its root file system
// from .ci/guest-rootfs (debootstrap), both cached outside the repository;
// docs/systemd-guest.md says how a run works and how long it takes. The
// test is part of go test ./...: it skips where QEMU or the cached guest is
// missing, and fails instead under COPYSTATION_CI=1.
package guesttest

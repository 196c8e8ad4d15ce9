// Package sgio is the Linux SCSI generic transport: it runs MMC command
// blocks on /dev/sg* and /dev/sr* through the SG_IO ioctl.
//
// # Concepts
//
// Header: each command travels in a struct sg_io_hdr (include/scsi/sg.h)
// mirrored field for field, with its offsets documented and checked by
// test. It points at the command block, the data buffer and a sense buffer,
// which are pinned for the duration of the call.
//
// Status: the device's SCSI status and sense come back in drive.Result.
// Failures below the device (the host adapter's host_status, the kernel
// driver's driver_status) are returned as *HostError and *DriverError,
// which match drive.ErrTimeout or drive.ErrTransport under errors.Is.
//
// Platforms: only Linux has SG_IO; elsewhere Open returns ErrUnsupported.
package sgio

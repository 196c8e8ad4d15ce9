// Package drive drives an optical (Blu-ray) burner through the MMC command set.
//
// # Concepts
//
// Transport → Command → Drive.
//
// A Transport runs one command block (CDB, data direction, buffer,
// timeout) and returns the SCSI status and sense. Backends live in their
// own packages: drive/sgio (Linux SG_IO), drive/serial (a framed link to a
// drive bridge or the simulator's process) and simulator/drivesim.
//
// A Command is a struct named after the MMC or SPC command (Inquiry,
// ReadDiscInformation, Write12, CloseTrackSession, ...) whose fields follow
// the spec's CDB table. CDB marshals it explicitly, big-endian; Execute
// runs it and parses the response. CHECK CONDITION becomes a *SenseError
// that errors.Is matches against sentinels such as ErrMediumNotPresent
// and that names the LBA at fault.
//
// A Drive sequences commands into what a station needs (identify, wait
// until ready, media info, write an image in ECC-cluster units, close and
// finalise, read back), retrying the conditions that pass by themselves
// with backoff on an injected Clock and bounding every wait by a context.
// docs/drive.md describes the layers and docs/serial-link.md the serial
// frames.
package drive

// Package tcmu serves a drive.Transport as a real SCSI device of the Linux
// kernel through TCMU (target_core_user), so that command blocks sent to
// /dev/sg* or /dev/sr* travel through the SCSI midlayer, tcm_loop and the
// target core to a user-space handler: in the SG_IO guest test, the
// project's BD burner simulator.
//
// # Concepts
//
// Backstore: a user_0/<name> device in the target core's configfs tree.
// Enabling it makes the kernel create /dev/uioN, whose single memory map is
// shared with the handler.
//
// Mailbox and command ring: the map starts with a mailbox (version,
// flags, the ring's offset and size, cmd_head written by the kernel,
// cmd_tail written by the handler), then a ring of variable-length entries.
// A command entry holds the CDB's offset and a list of data segments
// (offsets into the data area after the ring); the handler writes the SCSI
// status, sense and valid data length into the same entry, moves cmd_tail
// past it and writes 4 bytes to the uio device. The kernel raises a uio
// event when it adds entries. Every offset read from the ring is checked
// against the map (Ring.Entry), and the parser is fuzzed.
//
// Direction: TCMU does not say which way a command's data moves; the
// handler infers it from the opcode, as tcmu-runner does.
//
// Loopback export: a tcm_loop target portal group with a nexus and the
// backstore linked as LUN 0 makes a new SCSI host whose scan reaches the
// handler's INQUIRY; the sr and sg drivers then bind to it like to any
// CD/DVD/BD drive.
package tcmu

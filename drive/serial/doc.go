// Package serial carries MMC command blocks and their data over a byte
// stream (a serial line or a pseudo-terminal) in checksummed frames.
//
// # Concepts
//
// Frame: magic, version, type, sequence number, payload length, a header
// CRC-32, the payload, and a CRC-32 over everything before it. The layout is
// documented byte by byte in docs/serial-link.md.
//
// Host and device: the host side (NewTransport, Open) is a drive.Transport
// that sends one Command frame per command block; the device side (Serve)
// runs each command against a drive.Transport and answers with an Ack at once
// and a Response (or Failure) when the command completes.
//
// Recovery: the decoder skips garbage until it finds a valid header. A lost
// or corrupt frame is recovered by the host retransmitting its Command (no
// Ack yet) or sending a Poll (Ack seen, Response lost); the device answers a
// repeated sequence number from its cache instead of running the command
// twice, and the host ignores frames for any other sequence number. Every
// command has a deadline: its SCSI timeout plus a link allowance.
//
// Session: either side may die at any byte. A frame that stops arriving
// for InterByteTimeout is dropped (NewLineDecoder), so a dead sender's
// cut-off frame never swallows its successor's frames; the host's retries
// come at least two such timeouts apart. A host opens the link with a
// silence and a Sync, answered SyncAck once the device is idle, which
// clears the device's memory of the previous host's sequence numbers.
package serial

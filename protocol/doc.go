// Package protocol is the copy-authorisation protocol between stations and
// validation nodes: the Noise channel, its framing, its messages and the
// statements each side signs.
//
// # Concepts
//
// Channel → Frame → Message → Statement.
//
// A Channel is one Noise_IK_25519_ChaChaPoly_SHA256 session over a stream
// connection. The station (initiator) knows the node's static key in advance
// from its configuration, so a node whose key is not pinned cannot finish the
// handshake. The station's own Noise key is ephemeral to the client: the
// station proves who it is with its TPM signing key, over statements that
// include the handshake hash of this channel.
//
// A Frame is a 2-byte big-endian length followed by that many bytes of Noise
// message, at most MaxFrame bytes. Anything larger, empty or undecryptable
// ends the channel.
//
// A Message is the plaintext of one frame: protocol version (2 bytes), type
// (1 byte), then the fields of that type in a fixed order, each length-bounded.
// Decoders reject unknown versions and types, truncation, oversize fields and
// trailing bytes with a *DecodeError wrapping a sentinel.
//
// A Statement is what is signed (see statement.go and signed.go): a
// domain-separation label, the version, the handshake hash, then fields. A
// signature therefore verifies for one kind of statement on one channel only.
//
// The conversation is: handshake, Challenge (node), then either CopyRequest
// (station) answered by KeyRelease or Refusal, or CopyReport (station)
// answered by Receipt or Refusal. docs/protocol.md is the specification.
package protocol

// Package gateway is the validation node's Noise listener for stations: it
// runs the copy-authorisation protocol's node side over the node's ledger.
//
// # Concepts
//
// Server → admission → connection → conversation → Ledger.
//
// Admission happens at accept, before a byte is read: a connection over
// its source's limit (MaxConnsPerSource, by IPv4 address or IPv6 /64) or
// beyond MaxConns is closed at once, so a refused peer costs no Noise
// work, and a station fails over. Until it sends a request signed by an
// enrolled station a connection is unproved and holds one of those slots;
// then it moves to a pool of its own, out of a flood's reach. When a flood
// from many sources has taken every unproved slot, a newcomer from a
// lighter source takes the heaviest source's oldest one.
//
// Each connection gets a deadline for every step: the IK handshake (short:
// a station writes its first message at once), the challenge, the
// station's request, the wait for consensus; and one deadline for
// everything before the request is in, so a slow client cannot hold a
// slot for the sum of the steps. The challenge expires before that
// deadline, so a late request is refused as expired rather than cut off.
// One request per connection: a CopyRequest answered by a KeyRelease
// (after the spend is final) or a Refusal, or a CopyReport answered by a
// Receipt or a Refusal. An oversized, truncated or undecryptable frame
// closes the connection; a message that decrypts but does not decode is
// answered with Refusal 1 naming the field. Nothing malformed reaches the
// ledger.
//
// Before anything reaches the ledger the gateway checks what it alone can:
// the IDs follow the ledger's rule, the challenge has not expired, the
// station is enrolled and not revoked, the signature verifies over this
// connection's handshake hash and this challenge, and a customer grant is
// well-formed, for this station and not expired. The ledger (the contract
// on CometBFT) then decides the spend. A refusal's text repeats only what
// the asking station sent; the ledger's own account goes to the log.
//
// The log is a logbook: per reason, the first event at once and the rest
// as one summary line per interval, so a flood cannot fill the disk.
package gateway

// Package ledgerclient is the station's side of the copy-authorisation
// protocol: it asks validation nodes, over Noise, to spend a copy token and
// release the copy keys, and reports copies made or spoiled.
//
// # Concepts
//
// A Client holds a list of pinned validation nodes (address, Noise static
// key, signing key). Each call runs one conversation with one node at a
// time (dial, IK handshake, challenge, signed request, answer) with a
// deadline on every step, and fails over to the next node when a node can't
// be reached, times out, closes the channel, misbehaves or answers with a
// transient refusal. A definitive refusal (token spent, not the owner, ...)
// stops at once and comes back as an error a station can show a person.
//
// Retries are idempotent by job ID: the ledger records one spend per job, so
// asking again after a lost answer, on any node, returns the same copy keys
// and never spends a second token.
package ledgerclient

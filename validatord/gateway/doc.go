// Package gateway is the validation node's Noise listener for stations: it
// runs the copy-authorisation protocol's node side over the node's ledger.
//
// # Concepts
//
// Server → connection → conversation → Ledger.
//
// A Server accepts at most MaxConns connections at once (more are closed at
// once, so a station fails over). Each connection gets a deadline for every
// step: the IK handshake, the challenge, the station's request, the wait for
// consensus; and one deadline for everything before the request is in, so a
// slow client cannot hold a slot for the sum of the steps. One request per
// connection: a CopyRequest answered by a
// KeyRelease (after the spend is final) or a Refusal, or a CopyReport
// answered by a Receipt or a Refusal. Any malformed, oversized or
// undecryptable frame closes the connection with nothing sent to the ledger.
//
// Before anything reaches the ledger the gateway checks what it alone can:
// the challenge has not expired, the station is enrolled and not revoked,
// the signature verifies over this connection's handshake hash and this
// challenge, and a customer grant is well-formed, for this station and not
// expired. The ledger (the contract on CometBFT) then decides the spend.
package gateway

// Package keys holds the station's copy-key material: the HPKE envelopes
// that carry a node's part of it, per-disc key derivation, and zeroisation.
//
// # Concepts
//
// Envelopes. A validation node seals what it releases for one copy to the
// station's TPM key-agreement key (RFC 9180 HPKE, DHKEM(P-256, HKDF-SHA256),
// HKDF-SHA256, AES-256-GCM, base mode): in round 1 its partial signature
// and the revoked players (SealPartial), in round 2 its share release
// (SealRelease). The HPKE info is the envelope's label and the encoded
// Info: job ID, media ID and the Noise handshake hash, so an envelope opens
// only for the job, blank and connection it was made for, and never as the
// other round's.
//
// OpenPartial and OpenRelease run on the station with any
// ecdh.KeyExchanger; with the TPM's key each costs exactly one
// TPM2_ECDH_ZGen.
//
// CopyKeys are what the station holds for one copy once it has combined
// the nodes' releases (ledgerclient): they live only in memory and never
// travel.
//
// DeriveDiscKey (HKDF-SHA256 of a master secret, a job, an attempt and a
// media ID) no longer keys any disc the system writes: since the release
// rounds a disc key comes from the copy's group signature
// (custody.DiscKey). Tests use it to make distinct disc keys.
//
// Wiping: CopyKeys.Wipe and Zero overwrite buffers.
package keys

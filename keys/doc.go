// Package keys holds the station's copy-key material: the HPKE envelope that
// carries it, per-disc key derivation, and zeroisation.
//
// # Concepts
//
// CopyKeys → encoding → envelope. A validation node encodes the CopyKeys of
// one copy with MarshalBinary (versioned, deterministic, bounded) and seals
// them with Seal to the station's TPM key-agreement key (RFC 9180 HPKE,
// DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, base mode). The HPKE
// info is the encoded Info: label, version, job ID, media ID and the Noise
// handshake hash, so an envelope opens only for the job, blank and
// connection it was made for.
//
// Open runs on the station with any ecdh.KeyExchanger; with the TPM's key it
// costs exactly one TPM2_ECDH_ZGen.
//
// DeriveDiscKey (HKDF-SHA256 of a master secret, a job, an attempt and a
// media ID) no longer keys any disc the system writes: since the release
// rounds a disc key comes from the copy's group signature
// (custody.DiscKey). Tests use it to make distinct disc keys.
//
// Wiping: CopyKeys.Wipe and Zero overwrite buffers; Seal and Open wipe the
// plaintext encoding they make.
package keys

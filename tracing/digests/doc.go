// Package digests is a title's trace record: its tracing parameters and,
// for every forensic segment, the SHA-256 of both variants' plain sectors,
// made by the issuer at packaging and committed on the ledger by a Merkle
// root (docs/tracing.md, "The trace record").
//
// # Concepts
//
// A Record is what the issuer keeps: Params (N, C, Eps1), then one Entry per
// segment (start sector, length, digest of A, digest of B). Its Root, an
// RFC 6962 Merkle tree hash over the entries, goes into the title's
// registration, so anyone holding the record can prove it is the one the
// title was registered with. A leak reader (tracing/leak) compares a leaked
// image's segment digests with the entries to decide A, B or erased.
package digests

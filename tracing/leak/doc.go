// Package leak reads a leaked plain image against a title's trace record:
// it streams the image once, hashes each forensic segment where the record
// places it, and decides A, B or erased per segment (docs/tracing.md,
// "Reading a leak").
//
// # Concepts
//
// A leaked image is a decrypted copy or a rip, whole or partial, possibly
// assembled from several copies. Segments are found by their offsets in the
// plain image (start sector × 2048). A segment whose bytes hash to variant
// A's digest is A, to B's is B; one that is cut short, missing, or matches
// neither (damaged, re-encoded) is erased. The image is never held in
// memory: bytes outside segments are skipped (by Seek when the source can)
// and segment bytes are hashed as they stream by.
package leak

// Package sector encrypts and authenticates disc sectors under a per-disc
// key: AES-256-CTR with a counter block derived from the sector number for
// confidentiality, and one GMAC tag per 64 KiB ECC cluster for integrity.
//
// # Concepts
//
// Disc key → sector key and cluster MAC key. Both are derived from the
// per-disc key with HKDF-SHA256, so neither is used for two purposes.
//
// Sector s (numbered from the first image sector) is encrypted with
// AES-256-CTR whose counter block for its 16-byte block j is the 128-bit
// big-endian integer 128·s + j. Every (sector, block) pair has its own
// counter, a disc is written exactly once under its key, so no counter is
// ever reused; and consecutive sectors form one continuous CTR stream, so a
// cluster is encrypted with one call. CTR gives no integrity: cluster c
// carries a tag GMAC(cluster MAC key, nonce = c, ciphertext of c), that is
// AES-256-GCM with an empty plaintext and the cluster as additional data
// (NIST SP 800-38D). Why CTR and not XTS is in docs/sector-encryption.md.
package sector

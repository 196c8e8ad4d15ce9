// Package titlepkg reads and writes title packages: a film's disc image,
// encrypted in authenticated chunks under the title's package key, with a
// manifest that describes the image and its forensic segments.
//
// # Concepts
//
// Manifest → stream → chunks. The manifest names the title, the image size,
// the sector and chunk sizes, the forensic segment table and the integrity
// root, and is authenticated with HMAC-SHA256 under a key derived from the
// package key. The stream is the image in disc order with, for every forensic
// segment, variant B placed right after variant A, so a copy is made by
// reading the stream once from start to end and dropping the variant its
// codeword does not name. The stream is cut into chunks, each sealed with
// AES-256-GCM: the chunk index and a last-chunk flag are in the nonce, and the
// hash of the manifest header is the additional data, so chunks can't be
// reordered, dropped, truncated or moved to another package.
//
// The integrity root is SHA-256 over every chunk's GCM tag in order; Verify
// authenticates every chunk and checks the root, which is how the copy
// pipeline proves a whole package sound before it touches a drive.
//
// The byte layout is in docs/title-package.md.
package titlepkg

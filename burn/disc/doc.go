// Package disc encodes what a copy station writes around the encrypted
// image: the disc header, the disc key block and the layout of the regions.
//
// # Concepts
//
// Layout: a copy occupies, from its first LBA, a header region, the image
// (encrypted sector by sector, see burn/sector) padded to whole 64 KiB
// clusters, and an integrity table of one GMAC tag per image cluster.
//
// Header: cleartext fields (format, title, copy ID, media ID, sizes, the
// title package's integrity root, the key block's length and SHA-256),
// followed by a sealed part (AES-256-GCM under a key derived from the disc
// key, with every cleartext byte as additional data) holding the forensic
// codeword.
//
// Key block: the disc key for every unrevoked player, in the header region
// after the header sector. This package places and checks it; its format
// is custody/playertree's. The byte layout is in docs/disc-format.md.
package disc

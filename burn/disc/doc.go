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
// title package's integrity root) and the disc key block, followed by a
// sealed part (AES-256-GCM under a key derived from the disc key, with every
// cleartext byte as additional data) holding the forensic codeword.
//
// Key block: the disc key sealed for players with AES-256-GCM under the
// player key, the media ID in the additional data (the format the
// validation node's key service writes). A clone on a blank with another
// media ID can't open it. The byte layout is in docs/disc-format.md.
package disc

// Package burn makes and reads copy-station discs: the copy pipeline from a
// title package to a verified, finalised disc, and the player-side reader.
//
// # Concepts
//
// Copy runs in phases. Authenticate: every chunk of the title package is
// checked and the integrity root compared, before the drive is touched; a
// tampered package never costs a blank. It is left out for a package the
// station installed and checked unchanged (Job.SinglePass; stationd/titles),
// which is then read once. Check: the disc in the drive must be the blank
// the keys were released for (media ID), with the profile and room the
// format metadata asks. Write: the package streams through w sealers and
// a writer, w following GOMAXPROCS up to 8. A sealer reads the next chunk
// the copy keeps (the other variant of each forensic segment is never
// read), authenticates and decrypts it in place, and encrypts and tags
// its whole ECC clusters in place (burn/sector), in the same goroutine
// while the chunk is in its core's cache; the writer sends each chunk's
// whole clusters to the drive straight from its buffer, in disc order
// (one command when the drive takes 1 MiB transfers, else 64 KiB
// commands), and joins and seals the clusters a chunk shares with its
// neighbours when a forensic segment does not start on a cluster. No
// byte of the image is copied by the pipeline but those and the image's
// first unit, which goes out behind the header region. The buffers
// come from a fixed pool (2w+2, shared by the write and the read-back),
// so memory does not grow with the image; the writer starts the drive only
// once they all hold sealed chunks. Copies running at once share one gate
// of GOMAXPROCS slots (feed.go): sealing for a drive goes before checking
// a read-back. The header region goes first (with the image's first
// clusters in one unit when it is shorter, so a stream never starts on a
// WRITE the drive drains in a millisecond), the integrity table (the
// tags) last. A chunk that fails here (the file changed underneath) stops
// the copy before any of its bytes reach the drive, and the disc is
// spoiled. Sync: SYNCHRONIZE CACHE. Verify: every sector is read back and
// checked against what was written (header and table byte for byte, image
// clusters against the tags computed while writing, by w checkers; nothing
// is decrypted, as the tags are over the ciphertext). Finalise:
// close track and session, and finalise the disc if the format says so.
//
// A station that died mid-copy finishes the same disc rather than spoil
// it: Job.Resume continues a write cut off on an open BD-R track from its
// next writable address (resume.go), and VerifyDisc checks a copy already
// written, from the disc and the job's keys alone (reverify.go).
//
// Every failure is an *Error naming the phase, the LBA when one is known,
// and the drive's sense (errors.As to *drive.SenseError); Spoiled says
// whether the disc was written to.
//
// Copy writes the disc key block (Job.Players: the station's player tree
// encrypter and the revoked leaves) in the header region; a resumed copy
// takes it from the disc.
//
// ReadDisc is the player: it reads the header and the key block, checks
// the media ID binding against the drive, opens the key block with the
// player's device keys, and streams the decrypted image out, checking
// every cluster's tag.
//
// The disc layout is in docs/disc-format.md.
package burn

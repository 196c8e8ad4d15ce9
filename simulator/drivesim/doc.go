// Package drivesim is an in-process virtual Blu-ray burner that executes real
// MMC command blocks through the drive.Transport interface.
//
// # Concepts
//
// Drive → Tray → Disc → Session → Track → Sector.
//
// A Drive has a tray that is open or closed and may hold a Disc. A Disc is a
// medium of one MediaType (BD-R 25 GB, BD-R 50 GB, BD-RE 25 GB) whose user
// data lives in a sparse file, so a 25 GB disc costs only what is written
// (or, with Options.InMemory, in memory, for benchmarks).
// A BD-R is write-once: it holds sessions of tracks, each track has a next
// writable address (NWA), and a write is accepted only at the NWA of an open
// track. Closing a session opens the next one; finalising closes the disc.
// A BD-RE must be formatted and is then written at random.
//
// Every command block is decoded field by field. A command that cannot run
// answers CHECK CONDITION with fixed-format sense data (SPC-4 4.5.3), or
// descriptor format when asked, carrying the sense key, ASC and ASCQ a real
// drive would report (MMC-6 annex F).
//
// A throttled drive reads at ReadSpeedX and prefetches sequentially into a
// buffer of Options.CacheSize bytes (readahead.go).
//
// Writes go through a write cache of Options.CacheSize bytes. SYNCHRONIZE
// CACHE empties it; a power loss discards whatever it still holds.
//
// Time comes from Options.Clock and all modelled durations (writing at the
// chosen speed, loading, formatting, closing) are multiplied by
// Options.TimeScale: 0 makes them instant, 1 is real time.
//
// Faults (medium and write errors at an LBA, power loss, resets, long
// not-ready periods, commands that never answer) are injected with
// Drive.Inject; faults given a rate fire at random, from the seeded source.
package drivesim

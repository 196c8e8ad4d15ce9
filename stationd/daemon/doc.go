// Package daemon is the station daemon: it runs copy jobs on a tower of
// drives, journals every step, and serves the local API.
//
// # Concepts
//
// A Job (package job) moves through a fixed set of states; each move is
// journaled (package journal) before the daemon acts on it, so a daemon
// killed at any moment restarts knowing exactly where each job stood.
//
// The daemon reaches the world through ports, small interfaces defined here:
// a Drive per slot, one shared Robot, a Ledger (the validation nodes), a
// Pipeline (title package to disc) and the kiosk Panel. Deps holds factories
// for them; a nil factory means the real hardware or network named in the
// configuration.
//
// Copy keys live only in memory, in a KeyRing that the tamper switch wipes.
// A restarted daemon has none: it asks the ledger again by job ID, which
// returns the same spend and, for the same blank, the same keys. A job found
// mid-write or mid-verify is spoiled: the blank is rejected, the spoil is
// reported, and the job retries on a new blank under the same spend.
package daemon

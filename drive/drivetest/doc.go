// Package drivetest records and replays drive.Transport exchanges and
// checks that a transport behaves as every drive backend must.
//
// # Concepts
//
// Record wraps a live transport (a real drive, the simulator) and keeps
// every exchange; Save writes them as JSON. Playback answers from such a
// list, checking that each command is the one expected, and Close reports
// the exchanges never asked for. Mismatches are errors, never panics.
//
// RunConformance is the suite every backend passes: drivesim in process,
// the serial link to it, and the SG_IO path.
package drivetest

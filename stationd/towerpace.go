//go:build !nonode

package main

// The motions a copy commands of the robot, as daemon.AutoLoader does:
// PICK and LOAD to load a blank, UNLOAD to take the copy out.
const (
	loadMotions   = 2
	unloadMotions = 1
)

// robotPaced is the shortest time in which a tower of drives, each
// burning perDrive copies whose own work takes work seconds, can finish
// when one robot taking motion seconds a motion loads and unloads them,
// one operation at a time, first come first served, and the host costs
// nothing: every drive asks for a blank at 0; once loaded it works for
// work seconds and asks for an unload; once unloaded it asks for its next
// blank. With motion 0 it is perDrive × work, the drives' own bound. A
// run that reaches this time lost nothing to its host: what it lacks
// against the bound (the same work plus the copy's own motions)
// is the robot's queue.
func robotPaced(drives, perDrive int, work, motion float64) float64 {
	if drives <= 0 || perDrive <= 0 {
		return 0
	}
	type ask struct {
		at     float64
		unload bool
	}
	asks := make([]ask, drives) // each drive's pending request
	left := make([]int, drives) // copies each drive has still to start
	for i := range left {
		left[i] = perDrive - 1
	}
	free, end := 0.0, 0.0
	for pending := drives; pending > 0; {
		// The earliest request goes first; ties to the lower drive.
		d := -1
		for i, a := range asks {
			if a.at >= 0 && (d < 0 || a.at < asks[d].at) {
				d = i
			}
		}
		start := max(free, asks[d].at)
		switch {
		case !asks[d].unload:
			free = start + loadMotions*motion
			asks[d] = ask{at: free + work, unload: true}
		case left[d] > 0:
			free = start + unloadMotions*motion
			left[d]--
			asks[d] = ask{at: free}
		default:
			free = start + unloadMotions*motion
			end = max(end, free)
			asks[d].at = -1
			pending--
		}
	}
	return end
}

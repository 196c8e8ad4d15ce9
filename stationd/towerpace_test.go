//go:build !nonode

package main

import "testing"

// TestRobotPaced checks the robot-paced schedule on towers small enough
// to work out by hand.
func TestRobotPaced(t *testing.T) {
	tests := []struct {
		name                    string
		drives, perDrive        int
		work, motion, wantTotal float64
	}{
		{"instant robot: the drives' own work", 3, 2, 10, 0, 20},
		{"one drive: load, work, unload, again", 1, 2, 10, 2, 2 * (4 + 10 + 2)},
		// Loads at 0-4 and 4-8; drive 0 done at 14, unloaded 14-16;
		// drive 1 done at 18, unloaded 18-20.
		{"two drives, the second loaded after the first", 2, 1, 10, 2, 20},
		// Loads 0-4, 4-8, 8-12; drive 0 asks for its unload at 5, while
		// the robot loads drives 1 and 2: it waits until 12 (12-14),
		// drive 1 asks at 9 (14-16), drive 2 at 13 (16-18).
		{"a robot slower than the drives' work", 3, 1, 1, 2, 18},
		// 8 drives of 512 MiB copies at 16x (39.48 s own work), 2 s a
		// motion: the last load ends at 32, the last drive's copy at
		// 71.48, its unload at 73.48.
		{"the tower bench, one round", 8, 1, 39.48, 2, 73.48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := robotPaced(tt.drives, tt.perDrive, tt.work, tt.motion); !near(got, tt.wantTotal) {
				t.Errorf("robotPaced(%d, %d, %v, %v) = %v, want %v", tt.drives, tt.perDrive, tt.work, tt.motion, got, tt.wantTotal)
			}
		})
	}
}

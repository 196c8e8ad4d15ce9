//go:build !nonode

package main

// nodeUsage lists the commands that run an embedded validation network
// (CometBFT); the packaged build (-tags nonode) leaves them out.
const nodeUsage = `  demo    [--json] [--keep DIR]         burn a copy of a real film (ffmpeg) on simulated hardware, then show a refused second copy
  demo    --synthetic [--size MiB]      the same with a generated image (needs no ffmpeg)
  demo    --kiosk [--listen ADDR]       the simulated station with its kiosk screen and a demo wallet
  bench   [--json] [--daemon BIN]       measure start-up to READY and memory during a 25 GB burn
  bench   --tower N [--discs K]         N simulated 16x drives, one robot: drives fed, underruns, discs/hour
          [--robot-move D]              the robot's time a motion (default 2s; 0: instant): its utilisation, drives' waits
          [--drive-buffer MiB]          each drive's write buffer (default 4; 2 to 64): how late the host may be
          [--trace-underrun FILE]       write the execution trace of the seconds around an underrun (go tool trace FILE)
`

//go:build nonode

package main

import (
	"context"
	"fmt"
	"io"
)

// The packaged stationd is built with -tags nonode: a kiosk's daemon
// carries no validation node. CometBFT and the node's packages, which
// only the demo and the benchmarks embed (a whole network on loopback),
// were 40 MiB of the daemon's resident memory as mapped text, and most of
// its binary. Those commands stay in the source build (go run ./stationd).

const nodeUsage = `  demo                                  not in this build (the packaged daemon links no validation node): from a source checkout, go run ./stationd demo
  bench                                 not in this build: from a source checkout, go run ./stationd bench --daemon /usr/bin/stationd
`

func cmdDemo(_ context.Context, _ []string, _, stderr io.Writer) int {
	return notInBuild("demo", "go run ./stationd demo   (or: go run ./stationd demo --synthetic, --kiosk)", stderr)
}

func cmdBench(_ context.Context, _ []string, _, stderr io.Writer) int {
	return notInBuild("bench", "go run ./stationd bench --daemon /usr/bin/stationd   (the bench runs this binary's daemon as `stationd simrun`)", stderr)
}

func notInBuild(cmd, how string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "stationd %s is not in this build: the packaged stationd links no validation node, which %s embeds.\n"+
		"Run it from a source checkout of copystation (Go 1.26, gcc, libssl-dev):\n  %s\n", cmd, cmd, how)
	return 2
}

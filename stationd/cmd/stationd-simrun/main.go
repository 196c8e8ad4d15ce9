// Command stationd-simrun is `stationd simrun` alone: a station daemon on
// simulated parts, without the demo's embedded validation node, so that
// `stationd bench --daemon stationd-simrun` measures the memory of a
// process the size of the daemon (docs/benchmarks.md). Not for production.
//
//	stationd-simrun simrun --dir D --node A,K,S --group G --players T,D
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"copystation/stationd/simdaemon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "simrun" { // what stationd bench passes
		args = args[1:]
	}
	code := simdaemon.Main(ctx, args, os.Stderr, nil)
	stop()
	if code == 2 {
		fmt.Fprintln(os.Stderr, "usage: stationd-simrun simrun --dir D --node ADDRESS,NOISE_KEY_HEX,SIGNING_KEY_HEX --group HEX --players TREE,DEPTH")
	}
	os.Exit(code)
}

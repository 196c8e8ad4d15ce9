package main

import (
	"context"
	"io"

	"copystation/stationd/simdaemon"
)

// cmdSimRun runs a station daemon on simulated parts against given
// validation nodes, as its own process: the crash test kills it and the
// benchmark times its start-up. Not for production. The same command is
// the whole of the stationd-simrun binary, which links no validation node.
func cmdSimRun(ctx context.Context, args []string, _, stderr io.Writer) int {
	return simdaemon.Main(ctx, args, stderr, afterTransition())
}

func parseMedia(s string) (simdaemon.MediaType, error) { return simdaemon.ParseMedia(s) }

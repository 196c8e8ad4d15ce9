//go:build nonode

package disccli

import (
	"context"
	"fmt"
	"io"
)

// runVerify, in the packaged build (-tags nonode), says where the light
// client went: it checks a copy record with CometBFT's light client, and
// the packaged stationd links no CometBFT.
func runVerify(_ context.Context, _ []string, _, stderr io.Writer, _ Opener) int {
	fmt.Fprint(stderr, "stationd disc verify is not in this build: the packaged stationd links no CometBFT, whose light client it uses.\n"+
		"Run it from a source checkout of copystation: go run ./stationd disc verify --device URI --node URL --genesis FILE\n")
	return 2
}

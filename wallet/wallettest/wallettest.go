// Package wallettest starts what the wallet's tests run against: one real
// validation node on loopback (simstation.StartNetwork) with a title
// registered for tokens to be minted on. Tests only.
package wallettest

import (
	"context"
	"path/filepath"
	"testing"

	"copystation/stationd/simstation"
)

// Title is the title Network registers.
const Title = "film"

// Network starts a node in dir/node with Title (a 1 MiB image, one
// forensic segment) packaged in dir/titles and registered; the node stops
// when the test ends.
func Network(ctx context.Context, t testing.TB, dir string) *simstation.Network {
	t.Helper()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "titles"), Title, 1<<20, 1); err != nil {
		t.Fatal(err)
	}
	return nw
}

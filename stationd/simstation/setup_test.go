package simstation

import (
	"context"
	"testing"

	"copystation/stationd/config"
)

// enrolledStation starts a validation node in dir/node, opens station keys
// in dir/station, enrolls them and registers title "film" (size bytes, its
// forensic variants drawn from seed) under dir/station/titles. Both are
// closed when the test ends.
func enrolledStation(ctx context.Context, t *testing.T, dir string, size int64, seed uint64) (*Network, *StationKeys) {
	t.Helper()
	nw, err := StartNetwork(ctx, dir+"/node")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	keys, err := OpenKeys(dir + "/station")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	if _, err := nw.Enroll(ctx, keys.Signing, keys.Agreement); err != nil {
		t.Fatal(err)
	}
	if _, err := MakeTitle(ctx, nw, dir+"/station/titles", "film", size, seed); err != nil {
		t.Fatal(err)
	}
	return nw, keys
}

// mustPlayers is the network's [players] table.
func mustPlayers(t testing.TB, nw *Network) config.Players {
	t.Helper()
	p, err := nw.Players()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

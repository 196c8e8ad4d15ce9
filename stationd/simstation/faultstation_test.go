package simstation

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/metrics"
)

// faultStation starts a station in dir/name on nw (its own copy of the
// film package enrolledStation made, o's drives and blanks at 1x and a
// fifth of real time, a hung command given up after 5 s, counting into
// fresh metrics) with fault injected into drive bad; the test stops it.
func faultStation(ctx context.Context, t *testing.T, nw *Network, keys *StationKeys, dir, name string, o Options, bad int, fault drivesim.Fault) (*Station, *metrics.Metrics) {
	t.Helper()
	sdir := filepath.Join(dir, name)
	copyFile(t, filepath.Join(dir, "station", "titles", titlepkg.FileName("film")), filepath.Join(sdir, "titles", titlepkg.FileName("film")))
	m := metrics.New()
	o.Dir, o.Nodes, o.Group, o.Players, o.SpeedX, o.TimeScale, o.Metrics = sdir, []config.Node{nw.Pin()}, nw.Group(), mustPlayers(t, nw), 1, 0.2, m
	// 5 s rather than drive.DefaultTimeout's 30: the daemon's handling is
	// the same, and no healthy command here runs that long.
	o.CommandTimeout = 5 * time.Second
	st, err := Start(ctx, keys, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Stop() })
	st.Drives[bad].Inject(fault)
	return st, m
}

// burnFilm mints token tok of "film" to the station's key and asks the
// station to burn it; it returns the job's ID.
func burnFilm(ctx context.Context, t *testing.T, nw *Network, keys *StationKeys, st *Station, tok string) string {
	t.Helper()
	if err := nw.Mint(ctx, tok, "film", keys.Signing); err != nil {
		t.Fatal(err)
	}
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: tok})
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/simstation"
)

// TestMaintainerScriptDrain runs the package's own stationd_drain (the
// function postinst and prerm call before a restart or stop) with this
// stationd against a daemon burning a copy: with a deadline shorter than
// the burn it answers "retry later" (1) and leaves the drain cancelled, so
// copies start again; with room it returns 0 only once the copy is done,
// leaving the daemon drained for the restart.
func TestMaintainerScriptDrain(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	dir := t.TempDir()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	keys, err := simstation.OpenKeys(filepath.Join(dir, "station"))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := nw.Enroll(ctx, keys.Signing, keys.Agreement); err != nil {
		t.Fatal(err)
	}
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "station", "titles"), "film", 16<<20, 5); err != nil {
		t.Fatal(err)
	}
	if err := nw.Mint(ctx, "tok", "film", keys.Signing); err != nil {
		t.Fatal(err)
	}
	players, err := nw.Players()
	if err != nil {
		t.Fatal(err)
	}
	// 16 MiB at 1x in real time: about four seconds of writing.
	st, err := simstation.Start(ctx, keys, simstation.Options{Dir: filepath.Join(dir, "station"), Nodes: []config.Node{nw.Pin()},
		Group: nw.Group(), Players: players, SpeedX: 1, TimeScale: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		got, err := st.Client.Job(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == job.Writing {
			break
		}
		if got.State.Terminal() || ctx.Err() != nil {
			t.Fatalf("job = %s (%s), want it writing", got.State, got.Reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// `stationd` on PATH is this stationd on the daemon's socket.
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	wrapper := "#!/bin/sh\nexec \"$STATIOND_TEST_BIN\" \"$@\" --socket \"$STATIOND_TEST_SOCK\"\n"
	if err := os.WriteFile(filepath.Join(bin, "stationd"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	drain := func(wait string) (int, string) {
		cmd := exec.CommandContext(ctx, "sh", "-c", ". ../packaging/scripts/stationd.idle.sh; stationd_drain")
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), childEnv+"=1", "STATIOND_TEST_BIN="+os.Args[0],
			"STATIOND_TEST_SOCK="+st.Config.Socket, "STATIOND_UPGRADE_WAIT="+wait)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatalf("sh: %v", err)
		}
		return 0, string(out)
	}
	if code, out := drain("1"); code != 1 {
		t.Fatalf("stationd_drain with 1 s while burning = %d, want 1 (retry later)\n%s", code, out)
	}
	if s, err := st.Client.Status(ctx); err != nil || s.Draining {
		t.Errorf("status after a drain that timed out = %+v, %v; want the drain cancelled", s, err)
	}
	if got, _ := st.Client.Job(ctx, j.ID); got == nil || got.State.Terminal() {
		t.Fatalf("the copy ended before the short drain did: the test proves nothing (%+v)", got)
	}
	code, out := drain("120")
	if code != 0 {
		t.Fatalf("stationd_drain with 120 s = %d, want 0\n%s", code, out)
	}
	if got, err := st.Client.Job(ctx, j.ID); err != nil || got.State != job.Done {
		t.Errorf("job when stationd_drain returned = %+v, %v; want done", got, err)
	}
	if s, err := st.Client.Status(ctx); err != nil || !s.Draining {
		t.Errorf("status after stationd_drain = %+v, %v; want draining, for the restart", s, err)
	}
}

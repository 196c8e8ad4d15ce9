package simstation

import (
	"bytes"
	"context"
	"testing"
	"time"

	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/job"
)

func waitJob(t *testing.T, c *api.Client, id string, timeout time.Duration) *api.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := c.Job(context.Background(), id)
		if err != nil {
			t.Fatalf("Job(%s) = %v", id, err)
		}
		if j.State.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %v", id, j.State, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, err := StartNetwork(ctx, dir+"/node")
	if err != nil {
		t.Fatalf("StartNetwork = %v", err)
	}
	defer nw.Close()
	keys, err := OpenKeys(dir + "/station")
	if err != nil {
		t.Fatalf("OpenKeys = %v", err)
	}
	defer keys.Close()
	if _, err := nw.Enroll(ctx, keys.Signing, keys.Agreement); err != nil {
		t.Fatalf("Enroll = %v", err)
	}
	title, err := MakeTitle(ctx, nw, dir+"/station/titles", "demo-film", 4<<20, 1)
	if err != nil {
		t.Fatalf("MakeTitle = %v", err)
	}
	if err := nw.Mint(ctx, "token-1", title.ID, keys.Signing); err != nil {
		t.Fatalf("Mint = %v", err)
	}
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw), Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	defer st.Stop()
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: title.ID, TokenID: "token-1"})
	if err != nil {
		t.Fatalf("Burn = %v", err)
	}
	done := waitJob(t, st.Client, j.ID, time.Minute)
	if done.State != job.Done {
		t.Fatalf("job = %s (%s), want done", done.State, done.Reason)
	}
	// The hash a restarted daemon reads back from a verified disc is the
	// one the pipeline reported.
	out := st.Robot.Sim.Output()
	sim, _ := drivesim.New(drivesim.Options{})
	defer sim.Close()
	sim.InsertDisc(out[len(out)-1])
	defer sim.Remove()
	md := daemon.NewMMCDrive(sim, "reader")
	md.D.WaitReady(ctx)
	if h, err := md.DiscDigest(ctx, done.CopyID, done.MediaID); err != nil || !bytes.Equal(h, done.DiscDigest) {
		t.Errorf("DiscDigest() = %x, %v; want the pipeline's %x", h, err, done.DiscDigest)
	}
	c, err := nw.Copy(j.ID)
	if err != nil || len(c.Attempts) != 1 || c.Current().Outcome != "made" {
		t.Errorf("ledger copy = %+v, %v, want one attempt, made", c, err)
	}
	j2, _ := st.Client.Burn(ctx, api.BurnRequest{TitleID: title.ID, TokenID: "token-1"})
	f := waitJob(t, st.Client, j2.ID, time.Minute)
	if f.State != job.Failed || f.Code != "token_spent" {
		t.Errorf("second job = %s code %q (%s), want failed token_spent", f.State, f.Code, f.Reason)
	}
}

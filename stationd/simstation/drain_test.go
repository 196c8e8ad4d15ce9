package simstation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/job"
	"copystation/stationd/metrics"
)

// TestDrainForUpdate is issue 16's "an update never interrupts a burn", as
// the maintainer scripts run it: with job A writing and job Q queued behind
// it on the one drive, the station drains. A copy asked for now is refused
// with ErrDraining, naming the update; status and metrics say draining; a
// wait cut short reports A still busy; A runs to its end, and the wait
// returns only after it, with Q not started and no blank loaded for it.
// The drain does not survive the restart the update makes: the new daemon
// runs Q. A cancelled drain admits copies again.
func TestDrainForUpdate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 16<<20, 21)
	for _, tok := range []string{"tok-a", "tok-q", "tok-b", "tok-c"} {
		if err := nw.Mint(ctx, tok, "film", keys.Signing); err != nil {
			t.Fatal(err)
		}
	}
	m := metrics.New()
	// 16 MiB at 1x in real time: A writes for about four seconds.
	opts := Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw),
		Blanks: 3, SpeedX: 1, TimeScale: 1, Metrics: m}
	st, err := Start(ctx, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			st.Stop()
		}
	}()
	a, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-a"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-q"})
	if err != nil {
		t.Fatal(err)
	}
	waitJobWith(t, st.Client, a.ID, func(j *api.Job) bool { return j.State == job.Writing })

	ds, err := st.Client.Drain(ctx, false)
	if err != nil || !ds.Draining || ds.Idle || len(ds.Busy) != 1 || ds.Busy[0] != a.ID {
		t.Fatalf("Drain() = %+v, %v; want draining, busy with job %s only", ds, err, a.ID)
	}
	_, err = st.Daemon.Submit(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-b"})
	if !errors.Is(err, daemon.ErrDraining) {
		t.Errorf("Submit while draining = %v, want ErrDraining", err)
	}
	_, err = st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-b"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != "draining" || !strings.Contains(ae.Message, "being updated") {
		t.Errorf("Burn while draining = %v, want refused with code draining, saying the station is being updated", err)
	}
	if s, err := st.Client.Status(ctx); err != nil || !s.Draining {
		t.Errorf("Status while draining = %+v, %v; want draining", s, err)
	}
	if got := scrape(m); !strings.Contains(got, "\nstationd_draining 1\n") {
		t.Errorf("metrics do not show stationd_draining 1:\n%s", grepLines(got, "draining"))
	}
	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	ds, err = st.Client.WaitDrained(short, 50*time.Millisecond)
	stop()
	if !errors.Is(err, api.ErrDrainTimeout) || !strings.Contains(err.Error(), a.ID) {
		t.Errorf("WaitDrained(300ms) = %+v, %v; want ErrDrainTimeout naming job %s", ds, err, a.ID)
	}

	ds, err = st.Client.WaitDrained(ctx, 50*time.Millisecond)
	if err != nil || !ds.Idle {
		t.Fatalf("WaitDrained = %+v, %v; want idle", ds, err)
	}
	if j, err := st.Client.Job(ctx, a.ID); err != nil || j.State != job.Done {
		t.Fatalf("job A when the drain ended = %+v, %v; want done (the wait returns only after it)", j, err)
	}
	// Q's worker meets the gate once A's drive has let A go: Q stays
	// queued, and says why.
	jq := waitJobWith(t, st.Client, q.ID, func(j *api.Job) bool {
		return j.State != job.Queued || j.Progress != nil && strings.Contains(j.Progress.Waiting, "being updated")
	})
	if jq.State != job.Queued {
		t.Errorf("job Q while drained = %+v; want queued, waiting for the update", jq)
	}
	if in, _, _, err := st.Robot.Bins(ctx); err != nil || in != 2 {
		t.Errorf("input bin while drained = %d (%v), want 2: no blank loaded after A's", in, err)
	}

	// The update restarts the daemon: the new one admits jobs and runs Q.
	if err := st.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	opts.Metrics = metrics.New()
	// Only A's write had to last; the restarted station's simulated drives
	// run ten times faster, which changes nothing the rest asserts.
	opts.TimeScale = 0.1
	st, err = Start(ctx, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	if s, err := st.Client.Status(ctx); err != nil || s.Draining {
		t.Errorf("Status after the restart = %+v, %v; want not draining", s, err)
	}
	if j := waitJob(t, st.Client, q.ID, 2*time.Minute); j.State != job.Done {
		t.Errorf("job Q after the restart = %s (%s), want done", j.State, j.Reason)
	}

	// A cancelled drain admits copies again.
	if _, err := st.Client.Drain(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-b"}); err == nil {
		t.Fatal("Burn while draining was admitted")
	}
	if ds, err := st.Client.Drain(ctx, true); err != nil || ds.Draining {
		t.Fatalf("Drain(cancel) = %+v, %v; want not draining", ds, err)
	}
	c, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-c"})
	if err != nil {
		t.Fatalf("Burn after the drain was cancelled = %v, want admitted", err)
	}
	if j := waitJob(t, st.Client, c.ID, 2*time.Minute); j.State != job.Done {
		t.Errorf("job C after the cancel = %s (%s), want done", j.State, j.Reason)
	}
}

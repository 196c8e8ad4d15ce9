package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
)

type station struct {
	d      *Daemon
	robot  *testRobot
	ledger *testLedger
	pipe   *testPipeline
	client *api.Client
	stop   func()
}

func testConfig(t *testing.T) config.Config {
	dir := t.TempDir()
	c := config.Defaults()
	c.StateDir, c.Socket = dir, filepath.Join(dir, "s.sock")
	return c
}

func start(t *testing.T, cfg config.Config, drives int, panel func(config.Config, func()) (*kiosk.Panel, error)) *station {
	t.Helper()
	return startWith(t, cfg, drives, panel, journal.NewMem(nil))
}

// startWith is start on a given journal (one a test filled beforehand).
func startWith(t *testing.T, cfg config.Config, drives int, panel func(config.Config, func()) (*kiosk.Panel, error), store journal.Store) *station {
	t.Helper()
	return startOn(t, cfg, drives, panel, store, nil)
}

// startOn is startWith with the drives the daemon gets passed through
// swap (nil: as they are) before it starts, so a test can put a failed
// drive in a slot, or fill the stand-ins' state first.
func startOn(t *testing.T, cfg config.Config, drives int, panel func(config.Config, func()) (*kiosk.Panel, error), store journal.Store, swap func(*station, []Drive) []Drive) *station {
	t.Helper()
	s := &station{robot: &testRobot{blanks: 10}, ledger: &testLedger{}, pipe: &testPipeline{failOnce: map[string]bool{}}}
	for i := range drives {
		s.robot.drives = append(s.robot.drives, &testDrive{n: i})
	}
	ready := make(chan *Daemon, 1)
	deps := Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Store:  func(c config.Config) (journal.Store, error) { return store, nil },
		Drives: func(config.Config) ([]Drive, error) {
			var out []Drive
			for _, d := range s.robot.drives {
				out = append(out, d)
			}
			if swap != nil {
				out = swap(s, out)
			}
			return out, nil
		},
		Robot:    func(config.Config, []Drive) (Robot, error) { return s.robot, nil },
		Ledger:   func(config.Config) (Ledger, error) { return s.ledger, nil },
		Pipeline: func(config.Config) (Pipeline, error) { return s.pipe, nil },
		Panel:    panel,
		Ready:    func(d *Daemon) { ready <- d },
		Retry:    10 * time.Millisecond,
	}
	if panel == nil {
		deps.Panel = func(config.Config, func()) (*kiosk.Panel, error) { return nil, nil }
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, deps) }()
	select {
	case s.d = <-ready:
	case err := <-done:
		t.Fatalf("Run = %v before ready", err)
	case <-time.After(10 * time.Second):
		t.Fatal("daemon not ready after 10 s")
	}
	s.client = api.NewClient(cfg.Socket)
	var once sync.Once
	s.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(s.stop)
	return s
}

func waitState(t *testing.T, c *api.Client, id string, want ...job.State) *api.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		j, err := c.Job(context.Background(), id)
		if err != nil {
			t.Fatalf("Job(%s) = %v", id, err)
		}
		for _, w := range want {
			if j.State == w {
				return j
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	j, _ := c.Job(context.Background(), id)
	t.Fatalf("job %s is %s after 10 s, want %v (reason %q)", id, j.State, want, j.Reason)
	return nil
}

func TestBurnToDoneAndSecondSpendRefused(t *testing.T) {
	s := start(t, testConfig(t), 1, nil)
	ctx := context.Background()
	j, err := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok1"})
	if err != nil {
		t.Fatalf("Burn = %v", err)
	}
	done := waitState(t, s.client, j.ID, job.Done)
	if string(done.DiscDigest) != "hash" || done.CopyID == "" || done.Receipt.Height != 1 {
		t.Errorf("done job = %+v, want disc digest, copy ID and receipt", done.Job)
	}
	ev, _ := s.d.Store().Events(ctx, j.ID)
	var got []job.State
	for _, e := range ev {
		got = append(got, e.To)
	}
	want := []job.State{job.Queued, job.MediaCheck, job.Authorising, job.Authorised, job.Writing, job.Verifying, job.Finalising, job.Reporting, job.Done}
	if len(got) != len(want) {
		t.Fatalf("journal = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("journal[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	if s.d.Keys().Len() != 0 {
		t.Errorf("keys held after done = %d, want 0", s.d.Keys().Len())
	}
	j2, _ := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok1"})
	f := waitState(t, s.client, j2.ID, job.Failed)
	if f.Code != "token_spent" {
		t.Errorf("second job code = %q, want token_spent", f.Code)
	}
	if _, out, rej := s.robot.counts(); out != 1 || rej != 0 {
		t.Errorf("bins out/reject = %d/%d, want 1/0", out, rej)
	}
}

func TestSpoiledRetriesUnderSameSpend(t *testing.T) {
	s := start(t, testConfig(t), 1, nil)
	ctx := context.Background()
	s.pipe.mu.Lock()
	s.pipe.failOnce["flaky-film"] = true
	s.pipe.mu.Unlock()
	j, _ := s.client.Burn(ctx, api.BurnRequest{TitleID: "flaky-film", TokenID: "tok"})
	done := waitState(t, s.client, j.ID, job.Done, job.Failed)
	if done.State != job.Done || done.Attempt != 2 {
		t.Fatalf("job = %s attempt %d (%s), want done on attempt 2", done.State, done.Attempt, done.Reason)
	}
	tx, sp := s.ledger.spent("tok")
	if tx != 1 || sp.spoiled != 1 || !sp.made {
		t.Errorf("ledger spends %d, spoiled %d, made %v; want 1, 1, true", tx, sp.spoiled, sp.made)
	}
	if _, out, rej := s.robot.counts(); rej != 1 || out != 1 {
		t.Errorf("bins out/reject = %d/%d, want 1/1", out, rej)
	}
}

func TestSeveralDrivesBurnAtOnce(t *testing.T) {
	s := start(t, testConfig(t), 3, nil)
	s.pipe.block = make(chan struct{})
	ctx := context.Background()
	var ids []string
	for _, tok := range []string{"a", "b", "c"} {
		j, err := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: tok})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	drives := map[int]bool{}
	for _, id := range ids {
		j := waitState(t, s.client, id, job.Writing)
		drives[j.Drive] = true
	}
	if len(drives) != 3 {
		t.Errorf("jobs writing on drives %v, want 3 distinct drives", drives)
	}
	st, _ := s.client.Status(ctx)
	if st.Jobs["writing"] != 3 {
		t.Errorf("status jobs = %v, want 3 writing", st.Jobs)
	}
	close(s.pipe.block)
	for _, id := range ids {
		waitState(t, s.client, id, job.Done)
	}
}

func TestCancel(t *testing.T) {
	s := start(t, testConfig(t), 1, nil)
	s.pipe.block = make(chan struct{})
	ctx := context.Background()
	j, _ := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	waitState(t, s.client, j.ID, job.Writing)
	if _, err := s.client.Cancel(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	f := waitState(t, s.client, j.ID, job.Failed)
	if _, sp := s.ledger.spent("tok"); sp.spoiled != 1 {
		t.Errorf("spoiled records = %d, want 1 (a spent token ends with a record)", sp.spoiled)
	}
	if f.Attempt != 1 {
		t.Errorf("attempts = %d, want 1 (no retry after cancel)", f.Attempt)
	}
}

func TestBadRequests(t *testing.T) {
	s := start(t, testConfig(t), 1, nil)
	ctx := context.Background()
	for _, b := range []api.BurnRequest{{TitleID: "", TokenID: "x"}, {TitleID: "a/b", TokenID: "x"}, {TitleID: "a", TokenID: "x", Grant: make([]byte, 5000)}} {
		if _, err := s.client.Burn(ctx, b); err == nil {
			t.Errorf("Burn(%q, %q) = nil error, want bad_request", b.TitleID, b.TokenID)
		}
	}
	if _, err := s.client.Job(ctx, "nope"); err == nil {
		t.Errorf("Job(nope) = nil error, want not_found")
	}
}

// TestSecondDaemonRefused checks that a second daemon on the same state
// directory stops at once with ErrLocked, and that the lock is free again
// once the first has stopped.
func TestSecondDaemonRefused(t *testing.T) {
	cfg := testConfig(t)
	s := start(t, cfg, 1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := Run(ctx, cfg, Deps{Logger: quiet})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), filepath.Join(cfg.StateDir, "lock")) {
		t.Fatalf("second Run on %s = %v, want %v naming the lock file", cfg.StateDir, err, ErrLocked)
	}
	s.stop()
	f, err := lockState(cfg.StateDir)
	if err != nil {
		t.Fatalf("lockState after the first daemon stopped = %v, want the lock", err)
	}
	f.Close()
}

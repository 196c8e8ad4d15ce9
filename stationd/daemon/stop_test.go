package daemon

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
)

// TestStopLogsNoError: a worker that looks for work as the daemon stops
// has its journal query cut short by the stop's cancelled context; that is
// a clean stop, not "cannot read the journal" at level ERROR.
func TestStopLogsNoError(t *testing.T) {
	cfg := testConfig(t)
	var logs bytes.Buffer
	deps := Deps{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Store: func(config.Config) (journal.Store, error) {
			return journal.OpenSQLite(filepath.Join(cfg.StateDir, "journal.db"), nil)
		},
		Drives:   func(config.Config) ([]Drive, error) { return []Drive{&testDrive{}}, nil },
		Robot:    func(config.Config, []Drive) (Robot, error) { return nil, nil },
		Ledger:   func(config.Config) (Ledger, error) { return &testLedger{}, nil },
		Pipeline: func(config.Config) (Pipeline, error) { return &testPipeline{}, nil },
		Panel:    func(config.Config, func()) (*kiosk.Panel, error) { return nil, nil },
	}
	d, err := newDaemon(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the stop arrives as the worker asks the journal for work
	if _, ok := d.claim(ctx, 0); ok {
		t.Fatal("claim on a stopped daemon = a job, want none")
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a stop logged an error:\n%s", logs.String())
	}
}

// TestNoDrivesFactory: the daemon's drives come from Deps, not from a
// package variable another file's init() sets; without one, Run says so.
func TestNoDrivesFactory(t *testing.T) {
	deps := Deps{
		Logger: slog.New(slog.DiscardHandler),
		Store:  func(config.Config) (journal.Store, error) { return journal.NewMem(nil), nil },
	}
	err := Run(context.Background(), testConfig(t), deps)
	if !errors.Is(err, ErrNotWired) || !strings.Contains(err.Error(), "Deps.Drives") {
		t.Fatalf("Run(no Deps.Drives) = %v, want ErrNotWired naming Deps.Drives", err)
	}
}

// TestStepTable: every state a job can be in while not finished has its
// step, and every move a step makes is one job's table allows (the table
// is checked by the journal on each transition); finished states have none.
func TestStepTable(t *testing.T) {
	for _, s := range job.States {
		_, ok := steps[s]
		if ok == s.Terminal() {
			t.Errorf("steps[%s] present = %v, want %v", s, ok, !s.Terminal())
		}
		if !s.Terminal() && len(job.Next(s)) == 0 {
			t.Errorf("job.Next(%s) is empty for a state with a step", s)
		}
	}
}

package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/journal"
)

// TestTamperStopsBurnBeforeWipe: a tamper during a burn stops the pipeline
// and waits for it to return before it wipes the keys, so the pipeline
// never works with keys being zeroed under it. Run with -race.
func TestTamperStopsBurnBeforeWipe(t *testing.T) {
	pins := newPins()
	s := start(t, testConfig(t), 1, withPanel(pins))
	s.pipe.block = make(chan struct{})
	defer close(s.pipe.block)
	ctx := context.Background()
	j, _ := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	waitState(t, s.client, j.ID, job.Writing)
	held := s.d.Keys().Get(j.ID)
	pins.tamper.Out(gpio.High)
	waitFor(t, "keys wiped", func() bool { return s.d.Keys().Len() == 0 })
	s.pipe.mu.Lock()
	stopped := append([]bool(nil), s.pipe.stopped...)
	s.pipe.mu.Unlock()
	if len(stopped) != 1 || stopped[0] {
		t.Fatalf("pipeline stops seen = %v, want one, with its keys still whole (wiped only after it returned)", stopped)
	}
	if !allZero(held.DiscKey) {
		t.Errorf("disc key after the tamper = %x, want zeroed", held.DiscKey)
	}
	waitState(t, s.client, j.ID, job.Spoiled)
}

// TestTamperLatchSurvivesRestart: the alarm is journaled, so a daemon
// restarted after a tamper (a power cycle, with the enclosure closed again)
// still refuses jobs and shows the alarm until an operator clears it.
func TestTamperLatchSurvivesRestart(t *testing.T) {
	cfg := testConfig(t)
	path := filepath.Join(cfg.StateDir, "journal.db")
	open := func() journal.Store {
		st, err := journal.OpenSQLite(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	ctx := context.Background()
	pins := newPins()
	s := startWith(t, cfg, 1, withPanel(pins), open())
	pins.tamper.Out(gpio.High)
	waitFor(t, "the alarm", func() bool { st, err := s.client.Status(ctx); return err == nil && st.Tampered })
	s.stop()

	pins = newPins() // powered up again with the enclosure closed
	s = startWith(t, cfg, 1, withPanel(pins), open())
	st, err := s.client.Status(ctx)
	if err != nil || !st.Tampered || st.Ready {
		t.Fatalf("status after the restart = %+v, %v; want tampered, not ready", st, err)
	}
	if pins.errl.Read() != gpio.High {
		t.Errorf("error LED after the restart = %v, want high", pins.errl.Read())
	}
	var ae *api.Error
	if _, err := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"}); !errors.As(err, &ae) || ae.Code != "tampered" {
		t.Fatalf("Burn after the restart = %v, want refused (tampered)", err)
	}
	if err := s.client.ClearTamper(ctx, "clear-me-now"); err != nil {
		t.Fatalf("ClearTamper = %v", err)
	}
	s.stop()

	s = startWith(t, cfg, 1, withPanel(newPins()), open())
	if st, err := s.client.Status(ctx); err != nil || st.Tampered {
		t.Fatalf("status after a clear and a restart = %+v, %v; want not tampered", st, err)
	}
	j, err := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatalf("Burn after the clear = %v", err)
	}
	waitState(t, s.client, j.ID, job.Done)
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/kiosk"
)

type panelPins struct {
	door, tamper, ready, busy, errl *gpiotest.Pin
}

func withPanel(p *panelPins) func(config.Config, func()) (*kiosk.Panel, error) {
	return func(_ config.Config, wipe func()) (*kiosk.Panel, error) {
		return kiosk.New(kiosk.Pins{Door: p.door, Tamper: p.tamper, Ready: p.ready, Busy: p.busy, ErrorLight: p.errl}, "clear-me-now", wipe)
	}
}

func newPins() *panelPins {
	return &panelPins{door: &gpiotest.Pin{N: "door"}, tamper: &gpiotest.Pin{N: "tamper"},
		ready: &gpiotest.Pin{N: "ready"}, busy: &gpiotest.Pin{N: "busy"}, errl: &gpiotest.Pin{N: "error"}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTamperWipesKeysSpoilsAndRefuses(t *testing.T) {
	pins := newPins()
	s := start(t, testConfig(t), 1, withPanel(pins))
	s.pipe.block = make(chan struct{})
	ctx := context.Background()
	j, _ := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	waitState(t, s.client, j.ID, job.Writing)
	if pins.busy.Read() != gpio.High || pins.ready.Read() != gpio.Low {
		t.Errorf("LEDs while burning: busy %v ready %v, want busy on, ready off", pins.busy.Read(), pins.ready.Read())
	}
	keys := s.d.Keys().Get(j.ID)
	if keys == nil {
		t.Fatal("no keys held while writing")
	}
	pins.tamper.Out(gpio.High)
	waitFor(t, "keys wiped", func() bool { return s.d.Keys().Len() == 0 })
	for i, b := range keys.DiscKey {
		if b != 0 {
			t.Fatalf("disc key byte %d = %#x after tamper, want 0 (wiped in place)", i, b)
		}
	}
	waitFor(t, "the burn spoiled and held", func() bool {
		jj, _ := s.client.Job(ctx, j.ID)
		return jj.State == job.Spoiled
	})
	if pins.errl.Read() != gpio.High {
		t.Errorf("error LED = %v after tamper, want high", pins.errl.Read())
	}
	_, err := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok2"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != "tampered" {
		t.Errorf("Burn while tampered = %v, want code tampered", err)
	}
	st, _ := s.client.Status(ctx)
	if !st.Tampered || st.Ready {
		t.Errorf("status while tampered = %+v, want tampered and not ready", st)
	}
	if err := s.client.ClearTamper(ctx, "guess"); err == nil {
		t.Errorf("ClearTamper(wrong code) = nil, want an error")
	}
	pins.tamper.Out(gpio.Low)
	if err := s.client.ClearTamper(ctx, "clear-me-now"); err != nil {
		t.Fatalf("ClearTamper = %v", err)
	}
	close(s.pipe.block)
	done := waitState(t, s.client, j.ID, job.Done)
	if done.Attempt != 2 {
		t.Errorf("attempts = %d, want 2 (the tampered blank spoiled, retried under the same spend)", done.Attempt)
	}
	if tx, _ := s.ledger.spent("tok"); tx != 1 {
		t.Errorf("spends = %d, want 1", tx)
	}
	waitFor(t, "ready LED", func() bool { return pins.ready.Read() == gpio.High })
}

func TestDoorHoldsDiscMoves(t *testing.T) {
	pins := newPins()
	pins.door.Out(gpio.High)
	s := start(t, testConfig(t), 1, withPanel(pins))
	ctx := context.Background()
	j, _ := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	waitState(t, s.client, j.ID, job.MediaCheck)
	waitFor(t, "the robot's move held by the door", func() bool {
		st, err := s.client.Status(ctx)
		return err == nil && st.DiscMovesHeld == 1 && st.DoorOpen
	})
	if jj, _ := s.client.Job(ctx, j.ID); jj.State != job.MediaCheck {
		t.Fatalf("with the door open: job %s, want media_check (no load)", jj.State)
	}
	if b, _, _ := s.robot.counts(); b != 10 {
		t.Fatalf("with the door open: blanks left %d, want 10 (no load)", b)
	}
	s.robot.mu.Lock()
	s.robot.blanks = 0 // an empty input bin holds the job too, and says so
	s.robot.mu.Unlock()
	pins.door.Out(gpio.Low)
	waitFor(t, "the job to say it waits for blanks", func() bool {
		jj, _ := s.client.Job(ctx, j.ID)
		return jj.Progress != nil && strings.Contains(jj.Progress.Waiting, "input bin empty")
	})
	// The hold outlasts the loads that would fail a job (maxLoadFailures):
	// however long this goroutine takes to refill the bin, the job waits.
	s.robot.mu.Lock()
	from := s.robot.loads
	s.robot.mu.Unlock()
	waitFor(t, "more refused loads than fail a job", func() bool {
		s.robot.mu.Lock()
		defer s.robot.mu.Unlock()
		return s.robot.loads > from+maxLoadFailures
	})
	if jj, _ := s.client.Job(ctx, j.ID); jj.State != job.MediaCheck {
		t.Fatalf("with the input bin empty: job %s (%s), want held in media_check", jj.State, jj.Reason)
	}
	s.robot.mu.Lock()
	s.robot.blanks = 10
	s.robot.mu.Unlock()
	waitState(t, s.client, j.ID, job.Done)
	if b, out, _ := s.robot.counts(); b != 9 || out != 1 {
		t.Errorf("after closing: blanks %d out %d, want 9 and 1", b, out)
	}
}

package kiosk

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// TestTamperEdgeLatches checks that an opening shorter than any poll (the
// line rose and is low again when read) is latched through the edge.
func TestTamperEdgeLatches(t *testing.T) {
	tamper := &gpiotest.Pin{N: "tamper", EdgesChan: make(chan gpio.Level, 1)}
	var mu sync.Mutex
	wipes := 0
	p, err := New(Pins{Door: &gpiotest.Pin{N: "door"}, Tamper: tamper, Ready: &gpiotest.Pin{N: "ready"},
		Busy: &gpiotest.Pin{N: "busy"}, ErrorLight: &gpiotest.Pin{N: "error"}}, "open-sesame",
		func() { mu.Lock(); wipes++; mu.Unlock() })
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	if !p.EdgeTriggered() {
		t.Fatalf("EdgeTriggered() = false on a line that reports edges, want true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx, 20*time.Millisecond) }()
	defer func() { cancel(); <-done }()

	time.Sleep(50 * time.Millisecond) // a few polls of a quiet line
	if p.Tampered() {
		t.Fatalf("Tampered() = true before any edge, want false")
	}
	tamper.EdgesChan <- gpio.Low // rose and fell again before anyone looked
	deadline := time.Now().Add(10 * time.Second)
	for !p.Tampered() {
		if time.Now().After(deadline) {
			t.Fatalf("Tampered() = false 10 s after a rising edge, want the alarm latched")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if wipes != 1 || tamper.Read() != gpio.Low {
		t.Errorf("after a short opening: wipes %d, line %v; want 1 wipe with the line low again", wipes, tamper.Read())
	}
}

// TestClearTamperBackoff checks that wrong clear codes past the first few
// make the next attempt wait, doubling, even with the right code.
func TestClearTamperBackoff(t *testing.T) {
	r := newRig(t)
	now := time.Unix(1_700_000_000, 0)
	r.panel.now = func() time.Time { return now }
	r.tamper.Out(gpio.High)
	r.panel.Poll()
	r.tamper.Out(gpio.Low)
	steps := []struct {
		advance time.Duration
		code    string
		want    error
	}{
		{0, "guess-1", ErrBadCode},
		{0, "guess-2", ErrBadCode},
		{0, "guess-3", ErrBadCode}, // third wrong: wait 1 s
		{0, "open-sesame", ErrTooSoon},
		{time.Second, "guess-4", ErrBadCode}, // wait 2 s
		{time.Second, "open-sesame", ErrTooSoon},
		{time.Second, "open-sesame", nil},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		err := r.panel.ClearTamper(s.code)
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("step %d: ClearTamper(%q) = %v, want %v", i, s.code, err, s.want)
		}
	}
	if err := r.panel.MayStartJob(); err != nil {
		t.Errorf("MayStartJob() after clear = %v, want nil", err)
	}
	// A right code resets the count: the next alarm starts with free tries.
	r.tamper.Out(gpio.High)
	r.panel.Poll()
	r.tamper.Out(gpio.Low)
	if err := r.panel.ClearTamper("guess"); !errors.Is(err, ErrBadCode) {
		t.Errorf("ClearTamper(wrong) after a clear = %v, want %v", err, ErrBadCode)
	}
}

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestScreenNotifiesReady: `stationd screen` as stationd-screen.service runs
// it (Type=notify, the PIN from a credential file) tells systemd READY=1
// once its address is bound, with no daemon up yet.
func TestScreenNotifiesReady(t *testing.T) {
	dir := t.TempDir()
	pin := filepath.Join(dir, "staff-pin")
	if err := os.WriteFile(pin, []byte("2468\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startProc(t, []string{"screen", "--listen", "127.0.0.1:0", "--socket", filepath.Join(dir, "none.sock"),
		"--titles", dir, "--staff-pin-file", pin})
	select {
	case <-c.ready:
	case err := <-c.exited:
		t.Fatalf("stationd screen exited (%v) before READY=1: %s", err, c.stderr.String())
	case <-time.After(time.Minute):
		t.Fatalf("no READY=1 from stationd screen: %s", c.stderr.String())
	}
}

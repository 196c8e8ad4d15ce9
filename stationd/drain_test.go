package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDrainCommandExitCodes: the maintainer scripts tell apart by exit
// code a station with no daemon running (3: nothing to interrupt, go on)
// and a running daemon older than the drain, which answers its path 404
// as Go's mux does for any unknown path (4: fall back to polling its job
// list); the drain against a daemon that has it is TestDrainForUpdate in
// simstation.
func TestDrainCommandExitCodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	none := filepath.Join(dir, "none.sock")
	var out, errb bytes.Buffer
	if code := Main(ctx, []string{"drain", "--socket", none, "--wait", "1s"}, &out, &errb); code != exitNoDaemon {
		t.Errorf("stationd drain (no daemon) = exit %d, want %d\n%s", code, exitNoDaemon, errb.String())
	}
	old := filepath.Join(dir, "old.sock")
	ln, err := net.Listen("unix", old)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NewServeMux()}
	go srv.Serve(ln)
	defer srv.Close()
	errb.Reset()
	if code := Main(ctx, []string{"drain", "--socket", old, "--wait", "1s"}, &out, &errb); code != exitDrainUnsupported || !strings.Contains(errb.String(), "older version") {
		t.Errorf("stationd drain (a daemon without drain) = exit %d, %q; want %d, saying it is an older version", code, errb.String(), exitDrainUnsupported)
	}
	if code := Main(ctx, []string{"drain", "--wait", "1s", "--cancel"}, &out, &errb); code != 2 {
		t.Errorf("stationd drain --wait --cancel = exit %d, want 2 (usage)", code)
	}
}

package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/stationd/config"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
	"copystation/stationd/notify"
)

// TestServiceManagerProtocol runs the daemon under a fake service manager
// (a real unixgram socket): READY=1 with a status line once serving,
// WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 at the end.
func TestServiceManagerProtocol(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", "")
	drv := &testDrive{}
	deps := Deps{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notifier: notify.New(sock),
		Store:    func(config.Config) (journal.Store, error) { return journal.NewMem(nil), nil },
		Drives:   func(config.Config) ([]Drive, error) { return []Drive{drv}, nil },
		Robot:    func(config.Config, []Drive) (Robot, error) { return nil, nil },
		Ledger:   func(config.Config) (Ledger, error) { return &testLedger{}, nil },
		Pipeline: func(config.Config) (Pipeline, error) { return &testPipeline{}, nil },
		Panel:    func(config.Config, func()) (*kiosk.Panel, error) { return nil, nil },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, testConfig(t), deps) }()
	var got []string
	b := make([]byte, 1024)
	for !(contains(got, "READY=1") && count(got, "WATCHDOG=1") >= 2) {
		ln.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := ln.Read(b)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, strings.Split(string(b[:n]), "\n")...)
	}
	if !contains(got, "STATUS=0 of 1 drives burning") {
		t.Errorf("datagrams %q lack the status line", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, err := ln.Read(b)
		if err != nil {
			t.Fatalf("no STOPPING=1 after stop: %v", err)
		}
		if strings.Contains(string(b[:n]), "STOPPING=1") {
			break
		}
	}
}

func contains(l []string, s string) bool { return count(l, s) > 0 }

func count(l []string, s string) int {
	n := 0
	for _, x := range l {
		if x == s {
			n++
		}
	}
	return n
}

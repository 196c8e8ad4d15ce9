package validatord

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"copystation/validatord/chain"
)

func TestWatchdogInterval(t *testing.T) {
	pid := 4242
	cases := []struct {
		name       string
		usec, wpid string
		want       time.Duration
		on         bool
	}{
		{"unset", "", "", 0, false},
		{"not a number", "soon", "", 0, false},
		{"zero", "0", "", 0, false},
		{"thirty seconds", "30000000", "", 15 * time.Second, true},
		{"for this process", "200000", "4242", 100 * time.Millisecond, true},
		{"for another process", "200000", "1", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"WATCHDOG_USEC": c.usec, "WATCHDOG_PID": c.wpid}
			got, on := watchdogInterval(func(k string) string { return env[k] }, pid)
			if got != c.want || on != c.on {
				t.Errorf("watchdogInterval(%q, %q) = %v, %v, want %v, %v", c.usec, c.wpid, got, on, c.want, c.on)
			}
		})
	}
}

// TestWatchdog runs a node with systemd's watchdog variables and a real
// notify socket: READY=1, then WATCHDOG=1 every half period while the node
// is alive, none once CometBFT has stopped, and STOPPING=1 at the end.
func TestWatchdog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatalf("ListenUnixgram(%s) = %v", sock, err)
	}
	defer ln.Close()
	const period = 400 * time.Millisecond
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", strconv.FormatInt(period.Microseconds(), 10))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))

	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	if err := os.WriteFile(c.kek, []byte(strings.Repeat("ab", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("init", "--home", c.home, "--kek-file", c.kek, "--p2p", freeAddr(t), "--rpc", "tcp://"+freeAddr(t), "--gateway", freeAddr(t))
	kek, err := (&env{kekFile: c.kek}).kek()
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan *chain.Node, 1)
	runErr := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		runErr <- Run(rctx, Config{Home: c.home, KEK: kek}, Deps{Started: func(n *chain.Node) { started <- n }})
	}()
	var node *chain.Node
	select {
	case node = <-started:
	case err := <-runErr:
		t.Fatalf("Run() = %v", err)
	}
	// read returns the next notification, or "" after d.
	read := func(d time.Duration) string {
		buf := make([]byte, 256)
		ln.SetReadDeadline(time.Now().Add(d))
		n, _, err := ln.ReadFromUnix(buf)
		if err != nil {
			return ""
		}
		return string(buf[:n])
	}
	if got := read(10 * time.Second); got != "READY=1" {
		t.Fatalf("first notification = %q, want READY=1", got)
	}
	for i := range 3 {
		if got := read(10 * period); got != "WATCHDOG=1" {
			t.Fatalf("notification %d after READY=1 = %q, want WATCHDOG=1", i+1, got)
		}
	}
	if err := node.Comet.Stop(); err != nil {
		t.Fatalf("stopping CometBFT: %v", err)
	}
	node.Comet.Wait()
	// At most one ping checked before the stop may still be on its way.
	pings := 0
	for end := time.Now().Add(8 * period); time.Now().Before(end); {
		if got := read(time.Until(end)); got == "WATCHDOG=1" {
			pings++
		}
	}
	if pings > 1 {
		t.Errorf("%d WATCHDOG=1 after CometBFT stopped, want at most 1 already in flight", pings)
	}
	stop()
	if err := <-runErr; err != nil {
		t.Errorf("Run() = %v", err)
	}
	if got := read(5 * time.Second); got != "STOPPING=1" {
		t.Errorf("last notification = %q, want STOPPING=1", got)
	}
}

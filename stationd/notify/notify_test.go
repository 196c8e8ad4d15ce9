package notify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func listen(t *testing.T) (*net.UnixConn, string) {
	p := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, p
}

func recv(t *testing.T, c *net.UnixConn) string {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("read datagram: %v", err)
	}
	return string(b[:n])
}

func TestSend(t *testing.T) {
	c, p := listen(t)
	n := New(p)
	tests := []struct {
		name string
		send func() error
		want string
	}{
		{"ready", func() error { return n.Ready("2 drives idle") }, "READY=1\nSTATUS=2 drives idle"},
		{"status folds lines", func() error { return n.Status("a\nb") }, "STATUS=a b"},
		{"watchdog", n.Watchdog, "WATCHDOG=1"},
		{"stopping", n.Stopping, "STOPPING=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatalf("send = %v", err)
			}
			if got := recv(t, c); got != tt.want {
				t.Errorf("datagram = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	c, p := listen(t)
	t.Setenv("NOTIFY_SOCKET", p)
	if err := FromEnv().Ready("up"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != "READY=1\nSTATUS=up" {
		t.Errorf("datagram = %q", got)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if n := FromEnv(); n.Enabled() || n.Ready("x") != nil {
		t.Errorf("FromEnv() with no socket is enabled or fails, want a silent no-op")
	}
}

func TestBadState(t *testing.T) {
	_, p := listen(t)
	if err := New(p).Send("READY"); err == nil {
		t.Errorf("Send(READY) = nil, want ErrBadState")
	}
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		name, usec, pid string
		want            time.Duration
	}{
		{"unset", "", "", 0},
		{"ours", "20000000", strconv.Itoa(os.Getpid()), 10 * time.Second},
		{"no pid", "4000000", "", 2 * time.Second},
		{"another process", "20000000", "1", 0},
		{"garbage", "soon", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			if got := WatchdogInterval(); got != tt.want {
				t.Errorf("WatchdogInterval() = %v, want %v", got, tt.want)
			}
		})
	}
}

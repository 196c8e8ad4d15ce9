// Package notify speaks systemd's readiness protocol: datagrams such as
// READY=1, STATUS=... and WATCHDOG=1 sent to $NOTIFY_SOCKET.
package notify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends state lines to the service manager. The zero value and a
// Notifier for an unset $NOTIFY_SOCKET send nothing, so a daemon run by hand
// needs no special case.
type Notifier struct {
	addr string
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET (unset: a no-op Notifier).
func FromEnv() *Notifier { return New(os.Getenv("NOTIFY_SOCKET")) }

// New returns a Notifier for a socket path; "@name" is an abstract socket.
func New(addr string) *Notifier { return &Notifier{addr: addr} }

// Enabled reports whether a service manager is listening.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != "" }

// ErrBadState is returned for a state line that would break the protocol.
var ErrBadState = errors.New("notify: state must be KEY=VALUE lines")

// Send sends one or more KEY=VALUE lines in one datagram.
func (n *Notifier) Send(lines ...string) error {
	if !n.Enabled() {
		return nil
	}
	for _, l := range lines {
		if !strings.Contains(l, "=") || strings.Contains(l, "\n") {
			return fmt.Errorf("notify.Send %q: %w", l, ErrBadState)
		}
	}
	name := n.addr
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify.Send: %w", err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(strings.Join(lines, "\n"))); err != nil {
		return fmt.Errorf("notify.Send: %w", err)
	}
	return nil
}

// Ready tells the manager start-up is done, with a status line.
func (n *Notifier) Ready(status string) error { return n.Send("READY=1", "STATUS="+oneLine(status)) }

// Status sets the one-line status systemctl shows.
func (n *Notifier) Status(status string) error { return n.Send("STATUS=" + oneLine(status)) }

// Watchdog pets the watchdog.
func (n *Notifier) Watchdog() error { return n.Send("WATCHDOG=1") }

// Stopping tells the manager the daemon is shutting down.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1") }

// WatchdogInterval returns how often to pet the watchdog (half of
// $WATCHDOG_USEC), or 0 when no watchdog is set for this process.
func WatchdogInterval() time.Duration {
	if p := os.Getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(os.Getpid()) {
		return 0
	}
	us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	return time.Duration(us) * time.Microsecond / 2
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

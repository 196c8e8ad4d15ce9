package gateway_test

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// lines collects a gateway's log lines.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, fmt.Sprintf(format, args...))
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

// TestRefusalFloodLogsBounded: a flood of refused connections (over the
// node's one slot, and garbage handshakes) writes a bounded number of log
// lines, not one per connection, and the lines still count them all.
func TestRefusalFloodLogsBounded(t *testing.T) {
	const flood = 400
	var log lines
	st := softStation(t)
	n := refusingNode(t, st, nodeOpts{maxConns: 1, logf: log.logf})
	hog := dialRaw(t, n) // holds the one slot
	for i := range flood {
		c, err := net.Dial("tcp", n.addr)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // garbage where the handshake should be
			c.Write(append([]byte{0, 96}, make([]byte, 96)...))
		}
		c.Close()
	}
	// connections are accepted in order: once a last one is closed by
	// the node, every one before it has been refused
	last, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := closedByPeer(last); err != nil {
		t.Fatalf("connection over the limit: %v", err)
	}
	hog.conn.Close()
	n.stop() // flushes the summaries
	got := log.all()
	if len(got) > 6 {
		t.Fatalf("%d refused connections wrote %d log lines, want at most 6:\n%q", flood, len(got), got)
	}
	if c := refusedAtAccept(got); c != flood+1 {
		t.Fatalf("log lines count %d connections refused at accept, want %d:\n%q", c, flood+1, got)
	}
}

var moreRE = regexp.MustCompile(`: (\d+) more in the last`)

// refusedAtAccept counts, from the logbook's lines, the connections
// refused at accept: one per first line, N per summary.
func refusedAtAccept(lines []string) int {
	n := 0
	for _, l := range lines {
		if !strings.Contains(l, "refused at accept") {
			continue
		}
		if m := moreRE.FindStringSubmatch(l); m != nil {
			k, _ := strconv.Atoi(m[1])
			n += k
		} else {
			n++
		}
	}
	return n
}

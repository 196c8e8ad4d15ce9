package gateway

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSource(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 4000}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 4000}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:aaaa::1"), Port: 4000}, "2001:db8:1:2::/64"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:bbbb::9"), Port: 5000}, "2001:db8:1:2::/64"},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, "@x"},
	}
	for _, tt := range tests {
		if got := source(tt.addr); got != tt.want {
			t.Errorf("source(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestAdmission: a source gets at most its limit of unproved slots, the
// node at most max; a proved connection frees its unproved slot for
// others; every slot comes back on release, once.
func TestAdmission(t *testing.T) {
	a := newAdmission(3, 2)
	t1, _ := a.admit("a")
	t2, _ := a.admit("a")
	if tk, why := a.admit("a"); tk != nil || why != reasonSourceLimit {
		t.Fatalf("admit(a) over its limit = %v, %q; want refused, %q", tk, why, reasonSourceLimit)
	}
	t3, _ := a.admit("b")
	if tk, why := a.admit("c"); tk != nil || why != reasonFull {
		t.Fatalf("admit(c) with every slot taken = %v, %q; want refused, %q", tk, why, reasonFull)
	}
	if !t1.prove() {
		t.Fatal("prove() = false, want true with the proved pool empty")
	}
	t4, why := a.admit("a")
	if t4 == nil {
		t.Fatalf("admit(a) after one of its connections proved = %q, want a slot", why)
	}
	for _, tk := range []*ticket{t1, t2, t3, t4, t1} { // t1 twice: release is once
		tk.release()
	}
	if a.unproved != 0 || a.proved != 0 || len(a.bySource) != 0 {
		t.Fatalf("after every release: unproved %d, proved %d, sources %v; want 0, 0, none", a.unproved, a.proved, a.bySource)
	}
}

// TestLogbookInterval: however many events, a reason writes its first at
// once and one summary per interval; a new interval starts afresh.
func TestLogbookInterval(t *testing.T) {
	now := time.Unix(1000, 0)
	var lines []string
	l := newLogbook(func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }, 10*time.Second, func() time.Time { return now })
	for i := range 1000 {
		l.note(reasonFull, fmt.Sprintf("10.0.%d.%d", i/256%4, i%256), "x")
		l.note(reasonHandshake, "10.0.0.1", "y")
	}
	l.flush(false) // interval not over: nothing
	if len(lines) != 2 {
		t.Fatalf("lines before the interval ends = %q, want the two first events", lines)
	}
	now = now.Add(10 * time.Second)
	l.flush(false)
	// the full reason's sources past the first 64 are counted as others
	if len(lines) != 4 || !strings.Contains(lines[2], "handshake failed or too slow: 999 more in the last 10s (from 10.0.0.1 999)") ||
		!strings.Contains(lines[3], "every slot is taken: 999 more in the last 10s (from others 935, ") {
		t.Fatalf("summary lines = %q, want 999 more per reason, the top sources and the rest counted", lines[2:])
	}
	l.note(reasonFull, "10.0.0.1", "z")
	if len(lines) != 5 {
		t.Fatalf("first event of a new interval: lines %q, want it logged at once", lines[4:])
	}
}

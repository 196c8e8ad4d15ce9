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

// closer records whether the admission closed its connection.
type closer struct{ closed bool }

func (c *closer) Close() error { c.closed = true; return nil }

// TestAdmission: a source gets at most its limit of unproved slots; when
// all are taken, a source holding two fewer than the heaviest takes the
// heaviest's oldest; a proved connection frees its unproved slot; every
// slot comes back on release, once.
func TestAdmission(t *testing.T) {
	a := newAdmission(3, 2)
	admit := func(src string) (*ticket, *closer, *ticket, reason) {
		c := &closer{}
		tk, ev, why := a.admit(src, c)
		return tk, c, ev, why
	}
	a1, _, _, _ := admit("a")
	a2, _, _, _ := admit("a")
	if tk, _, _, why := admit("a"); tk != nil || why != reasonSourceLimit {
		t.Fatalf("admit(a) over its limit = %v, %q; want refused, %q", tk, why, reasonSourceLimit)
	}
	b1, _, _, _ := admit("b")
	// full: c (0) takes a's (2) oldest
	c1t, _, ev, why := admit("c")
	if c1t == nil || ev != a1 {
		t.Fatalf("admit(c) with every slot taken, a holding 2 = %v, evicted %v, %q; want a slot and a's oldest evicted", c1t, ev, why)
	}
	// full again: a (1), b (1), c (1): no source holds two more than d
	if tk, _, _, why := admit("d"); tk != nil || why != reasonFull {
		t.Fatalf("admit(d) with one slot per source = %v, %q; want refused, %q", tk, why, reasonFull)
	}
	if !b1.prove() {
		t.Fatal("prove() = false, want true with the proved pool empty")
	}
	if a1.prove() {
		t.Fatal("prove() of an evicted connection = true, want false")
	}
	d1, _, ev, why := admit("d")
	if d1 == nil || ev != nil {
		t.Fatalf("admit(d) after b's connection proved = %v, evicted %v, %q; want a slot, nobody evicted", d1, ev, why)
	}
	for _, tk := range []*ticket{a1, a2, b1, c1t, d1, a2} { // a2 twice: release is once
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

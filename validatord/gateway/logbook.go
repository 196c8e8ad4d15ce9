package gateway

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// reason is why a connection was refused or ended badly: a small fixed set
// plus one per refusal code, so the logbook's lines are bounded by the set,
// not by what a peer sends.
type reason string

const (
	reasonSourceLimit reason = "refused at accept: the source's connection limit"
	reasonFull        reason = "refused at accept: every slot is taken"
	reasonEvicted     reason = "closed to make room: the heaviest source's oldest unproved connection"
	reasonHandshake   reason = "handshake failed or too slow"
	reasonNoRequest   reason = "no request before the deadline"
	reasonMalformed   reason = "malformed request"
	reasonConn        reason = "connection failed"
)

// logbook aggregates the gateway's per-connection log lines, which a flood
// would otherwise turn into a line per connection (an attacker's way to
// fill the node's disk). Per reason and interval it writes the first event
// at once, with its detail, and the rest as one summary line at the end of
// the interval: at most two lines per reason per interval, whatever the
// rate.
type logbook struct {
	logf     func(string, ...any)
	interval time.Duration
	now      func() time.Time

	mu    sync.Mutex
	since time.Time
	tally map[reason]*tally
}

type tally struct {
	n       int            // events after the first, this interval
	last    string         // the last one's detail
	sources map[string]int // events by source, to name the top one
}

// maxTallySources bounds a tally's per-source counts: past it, further
// sources are counted under "others" (a flood from many addresses must
// not grow memory either).
const maxTallySources = 64

func newLogbook(logf func(string, ...any), interval time.Duration, now func() time.Time) *logbook {
	return &logbook{logf: logf, interval: interval, now: now, since: now(), tally: make(map[reason]*tally)}
}

// note records one event; detail says what happened to whom.
func (l *logbook) note(r reason, src, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, seen := l.tally[r]
	if !seen {
		l.tally[r] = &tally{sources: make(map[string]int)}
		l.logf("gateway: %s: %s", r, detail)
		return
	}
	t.n++
	t.last = detail
	if _, ok := t.sources[src]; ok || len(t.sources) < maxTallySources {
		t.sources[src]++
	} else {
		t.sources["others"]++
	}
}

// flush writes the interval's summaries and starts a new interval, if the
// interval is over (or force).
func (l *logbook) flush(force bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !force && now.Sub(l.since) < l.interval {
		return
	}
	reasons := make([]reason, 0, len(l.tally))
	for r := range l.tally {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return reasons[i] < reasons[j] })
	for _, r := range reasons {
		if t := l.tally[r]; t.n > 0 {
			l.logf("gateway: %s: %d more in the last %v (%s); the last: %s",
				r, t.n, now.Sub(l.since).Round(time.Second), topSources(t.sources), t.last)
		}
	}
	l.since = now
	clear(l.tally)
}

// topSources names the three sources with the most events.
func topSources(m map[string]int) string {
	type sc struct {
		s string
		n int
	}
	all := make([]sc, 0, len(m))
	for s, n := range m {
		all = append(all, sc{s, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].s < all[j].s })
	var b strings.Builder
	b.WriteString("from ")
	for i, x := range all[:min(3, len(all))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", x.s, x.n)
	}
	if len(all) > 3 {
		fmt.Fprintf(&b, " and %d more sources", len(all)-3)
	}
	return b.String()
}

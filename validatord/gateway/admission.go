package gateway

import (
	"net"
	"net/netip"
	"sync"
)

// admission decides at accept, before a byte is read and so before any
// Noise work, whether a connection gets a slot. Until it has sent a
// request signed by an enrolled station, a connection is "unproved": it
// counts against its source and the node's unproved slots. An attacker
// without a station key can only ever hold unproved slots, each for at
// most the handshake or request deadline, and at most MaxConnsPerSource of
// them per source, so a flood from a few addresses leaves the rest to
// stations. A proved connection (waiting on consensus) moves to a pool of
// its own, so proved stations never compete with the flood.
type admission struct {
	mu        sync.Mutex
	max       int            // unproved slots, and proved slots
	perSource int            // unproved slots one source may hold
	unproved  int            // unproved connections open
	proved    int            // proved connections open
	bySource  map[string]int // unproved connections per source
}

func newAdmission(max, perSource int) *admission {
	return &admission{max: max, perSource: perSource, bySource: make(map[string]int)}
}

// ticket is one admitted connection's hold on a slot.
type ticket struct {
	a      *admission
	src    string
	proved bool
	done   bool
}

// admit takes an unproved slot for a connection from src, or says why not.
func (a *admission) admit(src string) (*ticket, reason) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.bySource[src] >= a.perSource:
		return nil, reasonSourceLimit
	case a.unproved >= a.max:
		return nil, reasonFull
	}
	a.bySource[src]++
	a.unproved++
	return &ticket{a: a, src: src}, ""
}

// prove moves the connection to the proved pool: it has sent a request
// signed by an enrolled station. False if that pool is full (the station
// should try another node).
func (t *ticket) prove() bool {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.proved || t.done {
		return !t.done
	}
	if a.proved >= a.max {
		return false
	}
	a.dropUnproved(t.src)
	a.proved++
	t.proved = true
	return true
}

// release gives the slot back; once.
func (t *ticket) release() {
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case t.done:
	case t.proved:
		a.proved--
	default:
		a.dropUnproved(t.src)
	}
	t.done = true
}

func (a *admission) dropUnproved(src string) {
	a.unproved--
	if a.bySource[src]--; a.bySource[src] <= 0 {
		delete(a.bySource, src)
	}
}

// source is the address a limit counts against: the IP for IPv4, and the
// /64 prefix for IPv6, since one host is commonly given a whole /64 and
// could otherwise change address for every connection.
func source(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String() // not IP (a test pipe): one source per address
	}
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

package gateway

import (
	"io"
	"net"
	"net/netip"
	"slices"
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
//
// A flood from many sources can still fill the unproved slots. Then a
// newcomer from a source holding at least two fewer than the heaviest
// source takes the heaviest source's oldest unproved slot (that
// connection is closed): the slots go to sources in turn, and a station
// from an address of its own gets in unless the flood holds at most one
// slot per address.
type admission struct {
	mu        sync.Mutex
	max       int                  // unproved slots, and proved slots
	perSource int                  // unproved slots one source may hold
	unproved  int                  // unproved connections open
	proved    int                  // proved connections open
	bySource  map[string][]*ticket // unproved connections per source, oldest first
}

func newAdmission(max, perSource int) *admission {
	return &admission{max: max, perSource: perSource, bySource: make(map[string][]*ticket)}
}

// ticket is one admitted connection's hold on a slot.
type ticket struct {
	a      *admission
	src    string
	conn   io.Closer
	proved bool
	done   bool
}

// admit takes an unproved slot for conn from src, or says why not. When
// it takes another source's slot, evicted is that source's connection,
// which the caller closes.
func (a *admission) admit(src string, conn io.Closer) (t *ticket, evicted *ticket, why reason) {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := len(a.bySource[src])
	if mine >= a.perSource {
		return nil, nil, reasonSourceLimit
	}
	if a.unproved >= a.max {
		if evicted = a.heaviest(mine + 1); evicted == nil {
			return nil, nil, reasonFull
		}
		evicted.done = true
		a.dropUnproved(evicted)
	}
	t = &ticket{a: a, src: src, conn: conn}
	a.bySource[src] = append(a.bySource[src], t)
	a.unproved++
	return t, evicted, ""
}

// heaviest is the oldest unproved connection of the source holding the
// most, if it holds more than than.
func (a *admission) heaviest(than int) *ticket {
	var top []*ticket
	for _, ts := range a.bySource {
		if len(ts) > len(top) {
			top = ts
		}
	}
	if len(top) <= than {
		return nil
	}
	return top[0]
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
	a.dropUnproved(t)
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
		a.dropUnproved(t)
	}
	t.done = true
}

func (a *admission) dropUnproved(t *ticket) {
	a.unproved--
	ts := slices.DeleteFunc(a.bySource[t.src], func(x *ticket) bool { return x == t })
	if len(ts) == 0 {
		delete(a.bySource, t.src)
		return
	}
	a.bySource[t.src] = ts
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

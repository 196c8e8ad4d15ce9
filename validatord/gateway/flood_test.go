package gateway_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/validatord/contract"
)

// idleConns opens n connections to addr from 127.0.0.2 onwards (spread
// over sources addresses) that send nothing, and closes them at cleanup.
func idleConns(t *testing.T, addr string, n, sources int) {
	t.Helper()
	for i := range n {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%sources))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d from %v: %v", i, d.LocalAddr, err)
		}
		t.Cleanup(func() { c.Close() })
	}
}

// refusingNode is a gateway (default limits and deadlines) whose ledger
// knows st and answers every spend "token spent": a station is served when
// it gets that answer.
func refusingNode(t *testing.T, st *station, o nodeOpts) *testNode {
	o.now = newClock().Now
	return startNode(t, refusingLedger{st: &contract.Station{ID: st.id, SigningKey: st.signPub, Status: contract.StationActive}}, o)
}

// TestFloodLeavesRoomForStations: 65 idle connections from one address,
// or from each of eight, opened just before a station's request (the
// issue's attack: 65 idle connections held every slot for 10 s and no
// station got through), leave the station served with the default limits.
func TestFloodLeavesRoomForStations(t *testing.T) {
	for _, sources := range []int{1, 8} {
		t.Run(fmt.Sprintf("sources=%d", sources), func(t *testing.T) {
			st := softStation(t)
			n := refusingNode(t, st, nodeOpts{})
			idleConns(t, n.addr, 65*sources, sources)
			c := st.client(t, time.Now, n.pin)
			if _, err := c.Authorize(context.Background(), paramsFor("job-1", "tok-1", "title-1", []byte("m"))); !errors.Is(err, ledgerclient.ErrTokenSpent) {
				t.Fatalf("Authorize under a flood from %d sources = %v, want the node's answer %v", sources, err, ledgerclient.ErrTokenSpent)
			}
		})
	}
}

// TestFloodFromManySources: 8 idle connections from each of 40 addresses
// (320: every unproved slot is taken at the default limits) still leave a
// station on an address of its own served: it takes the oldest slot of
// the heaviest source.
func TestFloodFromManySources(t *testing.T) {
	st := softStation(t)
	n := refusingNode(t, st, nodeOpts{})
	idleConns(t, n.addr, 8*40, 40)
	c := st.client(t, time.Now, n.pin)
	if _, err := c.Authorize(context.Background(), paramsFor("job-1", "tok-1", "title-1", []byte("m"))); !errors.Is(err, ledgerclient.ErrTokenSpent) {
		t.Fatalf("Authorize under a flood from 40 sources = %v, want the node's answer %v", err, ledgerclient.ErrTokenSpent)
	}
}

// TestOverSourceLimitClosedBeforeHandshake: a source holding its limit of
// idle connections (8 by default) gets its next one closed at accept: a
// valid IK first message is never answered (the node does no Noise work
// for it), while another address is still served.
func TestOverSourceLimitClosedBeforeHandshake(t *testing.T) {
	st := softStation(t)
	n := refusingNode(t, st, nodeOpts{})
	idleConns(t, n.addr, 8, 1)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	conn, err := d.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	k, _ := protocol.GenerateStaticKey(rand.Reader)
	if _, err := protocol.ClientHandshake(conn, k, n.pin.NoiseKey, rand.Reader); err == nil || isTimeout(err) {
		t.Fatalf("ClientHandshake from a source over its limit = %v, want the connection closed unanswered", err)
	}
	c := st.client(t, time.Now, n.pin)
	if _, err := c.Authorize(context.Background(), paramsFor("job-1", "tok-1", "title-1", []byte("m"))); !errors.Is(err, ledgerclient.ErrTokenSpent) {
		t.Fatalf("Authorize from another address = %v, want %v", err, ledgerclient.ErrTokenSpent)
	}
}

// TestSilentPeerLetGoAtHandshakeDeadline: a peer that connects and sends
// nothing is closed at the handshake deadline (2 s by default), not held
// for the whole request deadline (10 s).
func TestSilentPeerLetGoAtHandshakeDeadline(t *testing.T) {
	st := softStation(t)
	n := refusingNode(t, st, nodeOpts{step: time.Minute})
	conn, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := closedByPeer(conn); err != nil {
		t.Fatalf("silent peer: %v, want it closed at the handshake deadline", err)
	}
}

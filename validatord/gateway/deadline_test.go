package gateway_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"copystation/protocol"
	"copystation/validatord/contract"
)

// shortReader hands out at most one byte per Read, as a reader is allowed
// to, so a caller that does not loop gets a partly filled buffer.
type shortReader struct{ r io.Reader }

func (s shortReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return s.r.Read(p)
}

// nonZeroReader is an endless stream with no zero byte, so a zero in the
// nonce can only be a byte the node never filled.
type nonZeroReader struct{}

func (nonZeroReader) Read(p []byte) (int, error) {
	if _, err := rand.Read(p); err != nil {
		return 0, err
	}
	for i := range p {
		p[i] |= 1
	}
	return len(p), nil
}

// TestChallengeNonceFromShortReads: a random source that returns one byte
// per Read still fills the whole challenge nonce.
func TestChallengeNonceFromShortReads(t *testing.T) {
	n := startNode(t, refusingLedger{}, nodeOpts{now: newClock().Now, random: shortReader{nonZeroReader{}}})
	s := dialRaw(t, n)
	if len(s.chal.Nonce) != protocol.NonceLen || bytes.IndexByte(s.chal.Nonce, 0) >= 0 {
		t.Fatalf("challenge nonce = %x, want %d bytes all drawn from the random source (none zero)", s.chal.Nonce, protocol.NonceLen)
	}
}

// slowConn writes one byte at a time with a pause between, once slow is
// set: a client dribbling its request to hold the connection open.
type slowConn struct {
	net.Conn
	slow atomic.Bool
}

func (c *slowConn) Write(p []byte) (int, error) {
	if !c.slow.Load() {
		return c.Conn.Write(p)
	}
	for i := range p {
		if _, err := c.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return len(p), nil
}

// TestPreRequestDeadline: a client that is slow before its request is
// cut off when the connection's pre-request deadline passes, although
// each step alone is well within the (long) step timeout. Each case would
// hold its slot for at least 5 s without that deadline: the silent ones
// until closedByPeer's 5 s read deadline, and the dribbling one until its
// request is complete (about 20 ms a byte) and answered.
func TestPreRequestDeadline(t *testing.T) {
	st := softStation(t)
	n := startNode(t, refusingLedger{st: &contract.Station{ID: st.id, SigningKey: st.signPub, Status: contract.StationActive}},
		nodeOpts{now: newClock().Now, step: time.Minute, request: 300 * time.Millisecond})
	handshake := func(t *testing.T, conn net.Conn) (*protocol.Channel, *protocol.ChallengeMsg) {
		t.Helper()
		k, _ := protocol.GenerateStaticKey(rand.Reader)
		ch, err := protocol.ClientHandshake(conn, k, n.pin.NoiseKey, rand.Reader)
		if err != nil {
			t.Fatalf("ClientHandshake = %v", err)
		}
		m, err := ch.Receive()
		chal, ok := m.(*protocol.ChallengeMsg)
		if err != nil || !ok {
			t.Fatalf("Receive(challenge) = %T, %v; want the challenge", m, err)
		}
		return ch, chal
	}
	tests := []struct {
		name string
		act  func(t *testing.T, conn *slowConn) error // nil: the node closed the connection
	}{
		{"silent before the handshake", func(t *testing.T, conn *slowConn) error { return closedByPeer(conn) }},
		{"silent after the challenge", func(t *testing.T, conn *slowConn) error {
			handshake(t, conn)
			return closedByPeer(conn)
		}},
		{"dribbling the request", func(t *testing.T, conn *slowConn) error {
			ch, chal := handshake(t, conn)
			s := &rawSession{conn: conn, ch: ch, chal: chal}
			req := s.signedRequest(t, st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")})
			conn.slow.Store(true)
			if err := ch.Send(req); err != nil {
				return nil // the node closed the connection under the dribble
			}
			if m, err := ch.Receive(); err == nil {
				return fmt.Errorf("the node answered %s to a request dribbled past the deadline", m.Type())
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", n.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second)) // the test's own bound
			if err := tt.act(t, &slowConn{Conn: c}); err != nil {
				t.Fatalf("%s: %v, want the connection closed by the node at its pre-request deadline", tt.name, err)
			}
		})
	}
}

package gateway_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"copystation/ledgerclient"
	"copystation/protocol"
)

// TestBadFramesCloseConnection: malformed, truncated and oversized input
// closes the connection; nothing is spent; the node keeps serving.
func TestBadFramesCloseConnection(t *testing.T) {
	f := newFixture(t)
	good := func(s *rawSession) []byte {
		req := s.signedRequest(t, f.st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")})
		return protocol.Marshal(req)
	}
	tests := []struct {
		name string
		// before the handshake: raw bytes; after: a function of the session
		raw  []byte
		send func(s *rawSession) error
	}{
		{name: "oversized handshake frame", raw: []byte{0xff, 0xff, 1, 2, 3, 4}},
		{name: "just over the limit", raw: []byte{(protocol.MaxFrame + 1) >> 8, (protocol.MaxFrame + 1) & 0xff}},
		{name: "empty frame", raw: []byte{0, 0}},
		{name: "garbage handshake", raw: append([]byte{0, 96}, make([]byte, 96)...)},
		{name: "truncated handshake", raw: []byte{0, 96, 1, 2, 3}},
		{name: "garbage after handshake", send: func(s *rawSession) error {
			_, err := s.conn.Write(append([]byte{0, 40}, make([]byte, 40)...))
			return err
		}},
		{name: "oversized after handshake", send: func(s *rawSession) error {
			_, err := s.conn.Write([]byte{0xff, 0xff, 0})
			return err
		}},
		{name: "truncated request", send: func(s *rawSession) error {
			b := good(s)
			return s.ch.SendPlaintext(b[:len(b)-10])
		}},
		{name: "trailing bytes", send: func(s *rawSession) error { return s.ch.SendPlaintext(append(good(s), 0)) }},
		{name: "unknown version", send: func(s *rawSession) error {
			b := good(s)
			b[1] = 9
			return s.ch.SendPlaintext(b)
		}},
		{name: "unknown type", send: func(s *rawSession) error { return s.ch.SendPlaintext([]byte{0, 1, 0x7f}) }},
		{name: "challenge from station", send: func(s *rawSession) error { return s.ch.Send(s.chal) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conn net.Conn
			if tt.raw != nil {
				c, err := net.Dial("tcp", f.node.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.Write(tt.raw)
				conn = c
			} else {
				s := dialRaw(t, f.node)
				if err := tt.send(s); err != nil {
					t.Fatalf("send = %v", err)
				}
				conn = s.conn
			}
			if err := closedByPeer(conn); err != nil {
				t.Fatalf("node after %s: %v", tt.name, err)
			}
			if n := f.attempts(t, "job-1"); n != 0 {
				t.Fatalf("attempts after %s = %d, want 0", tt.name, n)
			}
		})
	}
	c := f.st.client(t, f.clk.Now, f.node.pin)
	if _, err := c.Authorize(context.Background(), f.params("job-1")); err != nil {
		t.Fatalf("Authorize after bad frames = %v, want nil", err)
	}
}

// TestConnectionLimit: beyond MaxConns a connection is closed at once.
func TestConnectionLimit(t *testing.T) {
	f := newFixture(t)
	n := startNode(t, f.ledger.node(0).Ledger, nodeOpts{now: f.clk.Now, maxConns: 1, request: 3 * time.Second})
	// The hog has its challenge, so it holds the one slot until its
	// request deadline (3 s) passes.
	hog := dialRaw(t, n)
	extra, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(1 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("Read on a connection over the limit = %v, want closed by the node", err)
	}
	if err := closedByPeer(hog.conn); err != nil {
		t.Fatalf("idle connection: %v, want closed at its request deadline", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestFailover: unreachable, closing, silent and lying nodes are skipped;
// a definitive refusal is not retried elsewhere; all bad means no node.
// The client that must succeed has generous timeouts (the good node's
// answer waits on a real commit, slow under -race on a loaded machine);
// only the client that must give up on the silent node has short ones.
func TestFailover(t *testing.T) {
	f := newFixture(t)
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		a := ln.Addr().String()
		ln.Close()
		return a
	}()
	hangup := listen(t, func(c net.Conn) {})
	silent := listen(t, func(c net.Conn) { c.Read(make([]byte, 1<<16)); time.Sleep(5 * time.Second) })
	pin := func(addr string) ledgerclient.Node { p := f.node.pin; p.Address = addr; return p }
	bad := []ledgerclient.Node{pin(silent), pin(closed), pin(hangup)} // silent first: it must be given up on
	st := f.st
	// Bad nodes that fail fast, then one that commits the spend and drops
	// the answer, then the good node.
	c, err := ledgerclient.New(ledgerclient.Config{Nodes: []ledgerclient.Node{pin(closed), pin(hangup), startDropper(t, f.node), f.node.pin}, Group: groupOf(t, f.node.pin),
		Signer: st.signer, KeyExchanger: st.exchanger, Random: rand.Reader, Now: f.clk.Now,
		StepTimeout: 5 * time.Second, AnswerTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Authorize(context.Background(), f.params("job-1"))
	if err != nil {
		t.Fatalf("Authorize with three bad nodes first = %v, want success from the fourth", err)
	}
	// The dropper's node committed the spend; the good node answered the
	// retry with the same job: one attempt, one spend.
	if n := f.attempts(t, "job-1"); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
	if a.Receipt.NodeID != f.node.server.NodeID() {
		t.Fatalf("answered by %s, want %s", a.Receipt.NodeID, f.node.server.NodeID())
	}
	c2, _ := ledgerclient.New(ledgerclient.Config{Nodes: bad, Group: groupOf(t, f.node.pin), Signer: st.signer, KeyExchanger: st.exchanger,
		Random: rand.Reader, Now: f.clk.Now, StepTimeout: 300 * time.Millisecond, AnswerTimeout: time.Second})
	_, err = c2.Authorize(context.Background(), f.params("job-1"))
	if !errors.Is(err, ledgerclient.ErrNoNodeReachable) {
		t.Fatalf("Authorize with only bad nodes = %v, want %v", err, ledgerclient.ErrNoNodeReachable)
	}
	for _, n := range bad {
		if !strings.Contains(err.Error(), n.Address) {
			t.Errorf("Authorize with only bad nodes = %v, want every node tried, %s among them", err, n.Address)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Authorize(ctx, f.params("job-1")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Authorize(cancelled) = %v, want %v", err, context.Canceled)
	}
}

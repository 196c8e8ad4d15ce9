package gateway_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/flynn/noise"

	"copystation/ledgerclient"
	"copystation/protocol"
)

// startRogue is a node holding n's Noise key that runs act after the
// handshake instead of the protocol.
func startRogue(t testing.TB, n *testNode, act func(ch *protocol.Channel, conn net.Conn)) ledgerclient.Node {
	key := noise.DHKey{Private: n.noise, Public: n.pin.NoiseKey}
	addr := listen(t, func(c net.Conn) {
		ch, err := protocol.ServerHandshake(c, key, rand.Reader)
		if err != nil {
			return
		}
		act(ch, c)
	})
	pin := n.pin
	pin.Address = addr
	return pin
}

func challenge(n *testNode, ch *protocol.Channel) *protocol.ChallengeMsg {
	nonce := make([]byte, protocol.NonceLen)
	rand.Read(nonce)
	return &protocol.ChallengeMsg{Nonce: nonce, NodeID: n.server.NodeID(), Expiry: time.Now().Add(time.Minute).Unix(), HandshakeHash: ch.HandshakeHash(), ChainID: "copystation-local"}
}

// TestClientRefusesBadNodeAnswers: whatever a node holding a pinned key
// sends that isn't a valid answer, the station neither panics nor uses it;
// it moves on and reports that no node could serve it.
func TestClientRefusesBadNodeAnswers(t *testing.T) {
	f := newFixture(t)
	n := f.node
	tests := []struct {
		name string
		act  func(ch *protocol.Channel, conn net.Conn)
		want error
	}{
		{"oversized frame", func(ch *protocol.Channel, c net.Conn) { c.Write([]byte{0xff, 0xff, 0}) }, protocol.ErrFrameTooLarge},
		{"garbage frame", func(ch *protocol.Channel, c net.Conn) { c.Write(append([]byte{0, 30}, make([]byte, 30)...)) }, protocol.ErrDecrypt},
		{"truncated frame", func(ch *protocol.Channel, c net.Conn) { c.Write([]byte{0, 30, 1}) }, protocol.ErrTruncated},
		{"malformed message", func(ch *protocol.Channel, c net.Conn) {
			ch.SendPlaintext([]byte{byte(protocol.Version >> 8), byte(protocol.Version), 1, 0})
		}, protocol.ErrTruncated},
		{"challenge for another handshake", func(ch *protocol.Channel, c net.Conn) {
			m := challenge(n, ch)
			m.HandshakeHash = make([]byte, 32)
			ch.Send(m)
		}, ledgerclient.ErrNodeMisbehaved},
		{"release for another job", func(ch *protocol.Channel, c net.Conn) {
			ch.Send(challenge(n, ch))
			ch.Receive()
			ch.Send(&protocol.KeyReleaseMsg{JobID: "other", Format: protocol.Format(bdr)})
		}, ledgerclient.ErrNodeMisbehaved},
		{"unsigned release", func(ch *protocol.Channel, c net.Conn) {
			ch.Send(challenge(n, ch))
			ch.Receive()
			ch.Send(&protocol.KeyReleaseMsg{JobID: "job-1", Sealed: []byte{1}, Format: protocol.Format(bdr)})
		}, ledgerclient.ErrNodeMisbehaved},
		{"silence after the request", func(ch *protocol.Channel, c net.Conn) {
			ch.Send(challenge(n, ch))
			ch.Receive()
			time.Sleep(3 * time.Second)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ledgerclient.New(ledgerclient.Config{Nodes: []ledgerclient.Node{startRogue(t, n, tt.act)}, Group: groupOf(t, f.node.pin),
				Signer: f.st.signer, KeyExchanger: f.st.exchanger, Random: rand.Reader, Now: f.clk.Now,
				StepTimeout: time.Second, AnswerTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Authorize(context.Background(), f.params("job-1"))
			if !errors.Is(err, ledgerclient.ErrNoNodeReachable) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Authorize(%s) = %v, want %v and %v", tt.name, err, ledgerclient.ErrNoNodeReachable, tt.want)
			}
		})
	}
}

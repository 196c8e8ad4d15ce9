package gateway_test

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/flynn/noise"

	"copystation/ledgerclient"
	"copystation/protocol"
)

// listen starts a loopback listener that runs serve on every connection.
func listen(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// startReplayer is a node holding n's keys that answers every request with
// a key release captured earlier, instead of asking the ledger.
func startReplayer(t testing.TB, n *testNode, captured *protocol.KeyReleaseMsg) ledgerclient.Node {
	key := noise.DHKey{Private: n.noise, Public: n.pin.NoiseKey}
	addr := listen(t, func(c net.Conn) {
		ch, err := protocol.ServerHandshake(c, key, rand.Reader)
		if err != nil {
			return
		}
		nonce := make([]byte, protocol.NonceLen)
		rand.Read(nonce)
		ch.Send(&protocol.ChallengeMsg{Nonce: nonce, NodeID: n.server.NodeID(), Expiry: time.Now().Add(time.Minute).Unix(), HandshakeHash: ch.HandshakeHash(), ChainID: "copystation-local"})
		if _, err := ch.Receive(); err != nil {
			return
		}
		ch.Send(captured)
	})
	pin := n.pin
	pin.Address = addr
	return pin
}

// startDropper forwards frames between a station and n, but drops the
// connection instead of forwarding the node's answer to the request: the
// spend happens, the station never hears of it.
func startDropper(t testing.TB, n *testNode) ledgerclient.Node {
	addr := listen(t, func(c net.Conn) {
		up, err := net.Dial("tcp", n.addr)
		if err != nil {
			return
		}
		defer up.Close()
		up.SetDeadline(time.Now().Add(10 * time.Second))
		go io.Copy(up, c)        // station -> node, untouched
		for i := 0; i < 2; i++ { // handshake answer and challenge
			f, err := readFrame(up)
			if err != nil {
				return
			}
			c.Write(f)
		}
		readFrame(up) // the key release: swallowed
	})
	pin := n.pin
	pin.Address = addr
	return pin
}

func readFrame(r io.Reader) ([]byte, error) {
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return append(hdr, body...), nil
}

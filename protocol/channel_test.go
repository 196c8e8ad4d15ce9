package protocol

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

type pair struct {
	client, server *Channel
	cerr, serr     error
}

// handshake runs both sides over an in-memory pipe; the client pins pinned.
func handshake(t *testing.T, pinned []byte) (pair, net.Conn, net.Conn) {
	t.Helper()
	nodeKey, err := GenerateStaticKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if pinned == nil {
		pinned = nodeKey.Public
	}
	stKey, _ := GenerateStaticKey(rand.Reader)
	a, b := net.Pipe()
	deadline := time.Now().Add(5 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	var p pair
	done := make(chan struct{})
	go func() {
		p.server, p.serr = ServerHandshake(b, nodeKey, rand.Reader)
		if p.serr != nil {
			b.Close()
		}
		close(done)
	}()
	p.client, p.cerr = ClientHandshake(a, stKey, pinned, rand.Reader)
	if p.cerr != nil {
		a.Close()
	}
	<-done
	t.Cleanup(func() { a.Close(); b.Close() })
	return p, a, b
}

func TestHandshakeAndMessages(t *testing.T) {
	p, _, _ := handshake(t, nil)
	if p.cerr != nil || p.serr != nil {
		t.Fatalf("handshake = %v / %v, want nil", p.cerr, p.serr)
	}
	if !bytes.Equal(p.client.HandshakeHash(), p.server.HandshakeHash()) || len(p.client.HandshakeHash()) != 32 {
		t.Fatalf("HandshakeHash() = %x / %x, want equal 32 bytes", p.client.HandshakeHash(), p.server.HandshakeHash())
	}
	want := &RefusalMsg{Code: CodeTokenSpent, Message: "spent"}
	go p.server.Send(want)
	got, err := p.client.Receive()
	if err != nil {
		t.Fatalf("Receive() = %v", err)
	}
	if r, ok := got.(*RefusalMsg); !ok || *r != *want {
		t.Fatalf("Receive() = %#v, want %#v", got, want)
	}
}

// TestHandshakeUnpinnedNode: a node holding another static key than the one
// pinned cannot answer; both sides fail.
func TestHandshakeUnpinnedNode(t *testing.T) {
	other, _ := GenerateStaticKey(rand.Reader)
	p, _, _ := handshake(t, other.Public)
	if !errors.Is(p.serr, ErrHandshake) {
		t.Errorf("ServerHandshake = %v, want %v", p.serr, ErrHandshake)
	}
	if !errors.Is(p.cerr, ErrHandshake) {
		t.Errorf("ClientHandshake = %v, want %v", p.cerr, ErrHandshake)
	}
}

// TestReceiveBadFrames: each damaged frame ends Receive with a typed error.
func TestReceiveBadFrames(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"oversized", []byte{0xff, 0xff, 1, 2, 3}, ErrFrameTooLarge},
		{"just over limit", []byte{(MaxFrame + 1) >> 8, (MaxFrame + 1) & 0xff}, ErrFrameTooLarge},
		{"empty", []byte{0, 0}, ErrEmptyFrame},
		{"truncated length", []byte{0}, ErrTruncated},
		{"truncated body", []byte{0, 40, 1, 2, 3}, ErrTruncated},
		{"garbage", append([]byte{0, 20}, make([]byte, 20)...), ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, b := handshake(t, nil)
			if p.cerr != nil {
				t.Fatal(p.cerr)
			}
			go func() { b.Write(tt.raw); b.Close() }()
			_, err := p.client.Receive()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Receive(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
}

func TestSendRefusesOversized(t *testing.T) {
	p, _, b := handshake(t, nil)
	go io.Copy(io.Discard, b)
	err := p.client.Send(&KeyReleaseMsg{JobID: "j", Sealed: make([]byte, MaxFrame)})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Send(oversized) = %v, want %v", err, ErrFrameTooLarge)
	}
}

func TestStaticKeyFromPrivate(t *testing.T) {
	k, err := GenerateStaticKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	got, err := StaticKeyFromPrivate(k.Private)
	if err != nil || !bytes.Equal(got.Public, k.Public) {
		t.Fatalf("StaticKeyFromPrivate(priv) = %x, %v; want %x", got.Public, err, k.Public)
	}
	if _, err := StaticKeyFromPrivate(make([]byte, 31)); err == nil {
		t.Fatalf("StaticKeyFromPrivate(31 bytes) = nil error, want an error")
	}
}

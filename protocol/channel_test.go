package protocol

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
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
	err := p.client.Send(&KeyReleaseMsg{JobID: "j", Sealed: make([]byte, MaxMessage)})
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Send(oversized) = %v, want %v", err, ErrMessageTooLarge)
	}
}

// TestFragments: a KeyRelease too large for one frame (the sealed keys of a
// title with 4,096 forensic segments) goes in Fragment frames and arrives
// whole; a side with a lower MaxMessage refuses it before allocating it.
func TestFragments(t *testing.T) {
	sealed := make([]byte, MaxSealedLen)
	rand.Read(sealed)
	want := &KeyReleaseMsg{JobID: "job-1", Sealed: sealed, Format: Format{Profile: 0x41, Layers: 1}, Height: 9, TxHash: make([]byte, 32), NodeSignature: []byte{1}}
	for _, tt := range []struct {
		name  string
		limit int
		err   error
	}{
		{"default limit", 0, nil},
		{"a node's limit", MaxFrame, ErrMessageTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := handshake(t, nil)
			if p.cerr != nil || p.serr != nil {
				t.Fatal(p.cerr, p.serr)
			}
			p.client.MaxMessage = tt.limit
			go p.server.Send(want)
			got, err := p.client.Receive()
			if !errors.Is(err, tt.err) {
				t.Fatalf("Receive() = %v, want %v", err, tt.err)
			}
			if err == nil && !bytes.Equal(Marshal(got), Marshal(want)) {
				t.Fatalf("Receive() = a %d-byte message, want the %d bytes sent", len(Marshal(got)), len(Marshal(want)))
			}
		})
	}
}

// TestFragmentsRefused: fragments that do not add up, or a small message
// sent in fragments (a second encoding of it), are refused.
func TestFragmentsRefused(t *testing.T) {
	frag := func(total uint32, part []byte) []byte {
		f := binary.BigEndian.AppendUint16(nil, Version)
		f = append(f, byte(MsgFragment))
		return append(binary.BigEndian.AppendUint32(f, total), part...)
	}
	big := uint32(3 * MaxFrame)
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"small message in fragments", [][]byte{frag(100, make([]byte, 100))}},
		{"totals differ", [][]byte{frag(big, make([]byte, 1000)), frag(big+1, make([]byte, 1000))}},
		{"fragments past the total", [][]byte{frag(big, make([]byte, MaxFrame-100)), frag(big, make([]byte, MaxFrame-100)), frag(big, make([]byte, MaxFrame-100)), frag(big, make([]byte, MaxFrame-100))}},
		{"another message inside", [][]byte{frag(big, make([]byte, 1000)), Marshal(&RefusalMsg{Code: CodeBadRequest, Message: "x"})}},
		{"empty fragment", [][]byte{frag(big, nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := handshake(t, nil)
			if p.cerr != nil || p.serr != nil {
				t.Fatal(p.cerr, p.serr)
			}
			go func() {
				for _, f := range tt.frames {
					if p.server.SendPlaintext(f) != nil {
						return
					}
				}
			}()
			if _, err := p.client.Receive(); !errors.Is(err, ErrFragment) {
				t.Fatalf("Receive() = %v, want %v", err, ErrFragment)
			}
		})
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

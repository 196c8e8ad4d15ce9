package protocol

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

// FuzzUnmarshal: any bytes decode to a message that re-encodes to the same
// bytes, or to a *DecodeError; never a panic.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{0, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Unmarshal(%x) error %v is not a *DecodeError", b, err)
			}
			return
		}
		if got := Marshal(m); !bytes.Equal(got, b) {
			t.Fatalf("Marshal(Unmarshal(%x)) = %x, want the input", b, got)
		}
	})
}

// FuzzDecodeGrant: same property for the customer's grant.
func FuzzDecodeGrant(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeGrant(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("DecodeGrant(%x) error %v is not a *DecodeError", b, err)
			}
			return
		}
		if got := g.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("Encode(DecodeGrant(%x)) = %x, want the input", b, got)
		}
		_ = g.Verify(nil) // must not panic on any key or signature
	})
}

// FuzzReadFrame: frames are bounded and never read past their length.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 1, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		buf := make([]byte, MaxFrame)
		for {
			p, err := ReadFrame(r, buf)
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, ErrTruncated) ||
					errors.Is(err, ErrEmptyFrame) || errors.Is(err, ErrFrameTooLarge) {
					return
				}
				t.Fatalf("ReadFrame error %v is not a framing error", err)
			}
			if len(p) == 0 || len(p) > MaxFrame {
				t.Fatalf("ReadFrame returned %d bytes, want 1..%d", len(p), MaxFrame)
			}
		}
	})
}

// byteConn is a net.Conn that reads from fixed bytes and discards writes.
type byteConn struct {
	net.Conn
	r *bytes.Reader
}

func (c byteConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c byteConn) Write(p []byte) (int, error) { return len(p), nil }

// FuzzServerHandshake: whatever a station sends before and after the
// handshake, the node's side ends with an error or a message, never a
// panic or a read past the input.
func FuzzServerHandshake(f *testing.F) {
	key, _ := GenerateStaticKey(bytes.NewReader(make([]byte, 64)))
	// A well-formed first message for this key, then a garbage frame.
	st, _ := GenerateStaticKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	hs, _ := newState(true, st, key.Public, bytes.NewReader(bytes.Repeat([]byte{2}, 64)))
	msg, _, _, _ := hs.WriteMessage(nil, nil)
	first := append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
	f.Add(first)
	f.Add(append(first, 0, 3, 1, 2, 3))
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		rnd := bytes.NewReader(bytes.Repeat([]byte{3}, 64))
		ch, err := ServerHandshake(byteConn{r: bytes.NewReader(b)}, key, rnd)
		if err != nil {
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("ServerHandshake error %v is not %v", err, ErrHandshake)
			}
			return
		}
		if _, err := ch.Receive(); err == nil {
			return
		}
	})
}

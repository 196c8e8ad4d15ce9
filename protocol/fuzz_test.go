package protocol

import (
	"bytes"
	"errors"
	"io"
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

package serial

import (
	"errors"
	"io"
	"testing"
	"time"
)

// TestLineDecoderDropsPartialFrame: a frame cut off in its header or its
// payload is dropped once the line falls silent, and the next frame on the
// line decodes.
func TestLineDecoderDropsPartialFrame(t *testing.T) {
	whole := AppendFrame(nil, Frame{Type: TypeCommand, Seq: 9, Payload: pattern(9, 3000)})
	for _, tc := range []struct {
		name string
		cut  int
	}{
		{"one magic byte", 1},
		{"inside the header", HeaderSize - 3},
		{"inside the payload", HeaderSize + 1000},
		{"before the frame CRC", len(whole) - TrailerSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := io.Pipe()
			stop := make(chan struct{})
			defer func() { close(stop); r.Close() }()
			d := NewLineDecoder(r, 0, 20*time.Millisecond, stop)
			go func() {
				w.Write(whole[:tc.cut])
			}()
			if _, err := d.Next(); !errors.Is(err, ErrPartialFrame) {
				t.Fatalf("Next() after %d bytes and a silence = %v, want %v", tc.cut, err, ErrPartialFrame)
			}
			next := AppendFrame(nil, Frame{Type: TypeSync, Seq: 10})
			go w.Write(next)
			f, err := d.Next()
			if err != nil || f.Type != TypeSync || f.Seq != 10 {
				t.Fatalf("Next() after the drop = %+v, %v; want Sync seq 10", f, err)
			}
			if d.Dropped != 1 || d.Skipped != int64(tc.cut) {
				t.Errorf("Dropped, Skipped = %d, %d; want 1, %d", d.Dropped, d.Skipped, tc.cut)
			}
		})
	}
}

// TestLineDecoderEnd: bytes read before the line's error are decoded
// before the error is returned.
func TestLineDecoderEnd(t *testing.T) {
	r, w := io.Pipe()
	stop := make(chan struct{})
	defer close(stop)
	d := NewLineDecoder(r, 0, time.Hour, stop)
	go func() {
		w.Write(AppendFrame(nil, Frame{Type: TypeAck, Seq: 3}))
		w.CloseWithError(io.ErrUnexpectedEOF)
	}()
	if f, err := d.Next(); err != nil || f.Type != TypeAck {
		t.Fatalf("Next() = %+v, %v; want the Ack", f, err)
	}
	if _, err := d.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Next() at the end = %v, want %v", err, io.ErrUnexpectedEOF)
	}
}

package serial

import (
	"errors"
	"io"
	"time"
)

// InterByteTimeout is how long a receiver waits for the next byte of a
// frame that has started arriving before it drops the bytes it has: a
// sender that died mid-frame must not leave the receiver counting the next
// sender's frames as the dead one's payload. It is far longer than any
// pause a live sender makes inside one frame (a frame is one write), and
// shorter than the host's retry interval, so the frame sent again after a
// drop arrives on a line the receiver has cleared.
const InterByteTimeout = 100 * time.Millisecond

// errGap is what a gapReader returns when a frame stops arriving.
var errGap = errors.New("serial: line silent mid-frame")

// gapReader hands bytes read by a pump goroutine to the decoder, so a read
// can give up after a silence instead of blocking on the line.
type gapReader struct {
	chunks chan []byte
	errc   chan error
	stop   <-chan struct{}
	gap    time.Duration
	rest   []byte
	err    error // the line's final error, once seen
	// midFrame is set once bytes have been handed out and cleared by the
	// decoder at a frame boundary with nothing buffered: only then may a
	// read wait forever.
	midFrame bool
}

// newGapReader starts the pump on r; it stops when r fails or stop closes.
func newGapReader(r io.Reader, gap time.Duration, stop <-chan struct{}) *gapReader {
	g := &gapReader{chunks: make(chan []byte, 4), errc: make(chan error, 1), stop: stop, gap: gap}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				select {
				case g.chunks <- append([]byte(nil), buf[:n]...):
				case <-stop:
					return
				}
			}
			if err != nil {
				g.errc <- err
				return
			}
		}
	}()
	return g
}

func (g *gapReader) Read(p []byte) (int, error) {
	if len(g.rest) == 0 {
		c, err := g.next()
		if err != nil {
			return 0, err
		}
		g.rest = c
	}
	n := copy(p, g.rest)
	g.rest = g.rest[n:]
	g.midFrame = true
	return n, nil
}

// next waits for the next chunk. The pump queues all its chunks before its
// error, so once the error is in, the chunks still queued come first.
func (g *gapReader) next() ([]byte, error) {
	if g.err == nil {
		var silence <-chan time.Time
		if g.midFrame {
			t := time.NewTimer(g.gap)
			defer t.Stop()
			silence = t.C
		}
		select {
		case c := <-g.chunks:
			return c, nil
		case g.err = <-g.errc:
		case <-silence:
			return nil, errGap
		case <-g.stop:
			g.err = ErrClosed
		}
	}
	select {
	case c := <-g.chunks:
		return c, nil
	default:
		return nil, g.err
	}
}

package serial

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"copystation/drive"
)

// Options tune both sides of the link. The zero value is usable.
type Options struct {
	// RetryInterval is how long the host waits for an Ack before sending
	// the Command again, and between Polls once acknowledged. Default 250ms.
	RetryInterval time.Duration
	// LinkAllowance is added to each command's SCSI timeout to form its
	// deadline on the host, covering the transfer time. Default 5s.
	LinkAllowance time.Duration
	// DefaultTimeout replaces a zero command timeout. Default 30s.
	DefaultTimeout time.Duration
	// MaxPayload bounds frame payloads (capped at HardMaxPayload).
	// Default DefaultMaxPayload.
	MaxPayload int
	// Rand seeds the host's first sequence number, so a restarted host
	// does not collide with the device's cached answer. Default crypto/rand.
	Rand io.Reader
	// Baud is the line speed: Open sets it on the port (default 115200);
	// the host adds the time a frame takes at this speed to its retry and
	// deadline allowances. Zero in NewTransport means no line-rate limit.
	Baud int
	// Logf, if set, receives link events (retransmissions, corrupt frames).
	Logf func(format string, args ...any)
	// Clock times the host's retries and deadlines. Default: the system
	// clock.
	Clock drive.Clock
	// InterByteTimeout is the silence after which either side drops a
	// partial frame. Default (and the value a device must use on a real
	// link) InterByteTimeout; tests of fast retries may shorten it.
	InterByteTimeout time.Duration
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (o Options) withDefaults() Options {
	if o.RetryInterval <= 0 {
		o.RetryInterval = 250 * time.Millisecond
	}
	if o.LinkAllowance <= 0 {
		o.LinkAllowance = 5 * time.Second
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = 30 * time.Second
	}
	if o.InterByteTimeout <= 0 {
		o.InterByteTimeout = InterByteTimeout
	}
	// The host's repeated frames must reach a device that has dropped
	// the partial frame a dead host left, and the device's answers to
	// them must leave the host a silence in which to drop one a dead
	// device left: retries come at least two inter-byte timeouts apart.
	o.RetryInterval = max(o.RetryInterval, 2*o.InterByteTimeout)
	o.MaxPayload = clampPayload(o.MaxPayload)
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Transport is the host side of the link: a drive.TransportCloser.
type Transport struct {
	opts   Options
	rw     io.ReadWriter
	frames chan Frame  // decoded frames and corrupt notices (Type 0)
	out    chan []byte // encoded frames for the writer goroutine
	closed chan struct{}
	once   sync.Once
	errMu  sync.Mutex
	err    error // why the link stopped

	mu     sync.Mutex // one command at a time
	seq    uint32
	synced bool // the device answered our Sync
}

var _ drive.TransportCloser = (*Transport)(nil)

// NewTransport starts the host side of the link over rw. Close stops it and
// closes rw if rw is an io.Closer.
func NewTransport(rw io.ReadWriter, opts Options) (*Transport, error) {
	opts = opts.withDefaults()
	var b [4]byte
	if _, err := io.ReadFull(opts.Rand, b[:]); err != nil {
		return nil, fmt.Errorf("serial.NewTransport: sequence seed: %w", err)
	}
	t := &Transport{
		opts:   opts,
		rw:     rw,
		frames: make(chan Frame, 16),
		out:    make(chan []byte),
		closed: make(chan struct{}),
		seq:    binary.BigEndian.Uint32(b[:]),
	}
	go t.readLoop()
	go writeLoop(rw, t.out, t.closed, t.fail)
	return t, nil
}

func (t *Transport) fail(err error) {
	t.errMu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.errMu.Unlock()
	t.once.Do(func() { close(t.closed) })
}

func (t *Transport) linkErr() error {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	if t.err == nil {
		return ErrClosed
	}
	return t.err
}

// Close stops the link. Commands in flight return ErrClosed.
func (t *Transport) Close() error {
	t.fail(ErrClosed)
	if c, ok := t.rw.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (t *Transport) readLoop() {
	d := NewLineDecoder(t.rw, t.opts.MaxPayload, t.opts.InterByteTimeout, t.closed)
	for {
		f, err := d.Next()
		var ce *CorruptError
		switch {
		case errors.Is(err, ErrPartialFrame):
			// A device that died mid-answer: Polls recover.
			t.opts.Logf("serial: host: %v", err)
			continue
		case errors.As(err, &ce):
			t.opts.Logf("serial: host: %v", err)
			f = Frame{Type: 0, Seq: ce.Seq}
		case err != nil:
			t.fail(fmt.Errorf("%w: read: %w", ErrClosed, err))
			return
		}
		// Never block the reader: a dropped frame is recovered by a Poll.
		select {
		case t.frames <- f:
		default:
		}
	}
}

// writeLoop writes encoded frames one Write call each, so a wrapper sees
// whole frames; it stops when closed or on a write error.
func writeLoop(w io.Writer, out <-chan []byte, closed <-chan struct{}, fail func(error)) {
	for {
		select {
		case b := <-out:
			if _, err := w.Write(b); err != nil {
				fail(fmt.Errorf("%w: write: %w", ErrClosed, err))
				return
			}
		case <-closed:
			return
		}
	}
}

// Do sends one command block and waits for its answer until the command's
// timeout plus the link allowance has passed.
func (t *Transport) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if timeout <= 0 {
		timeout = t.opts.DefaultTimeout
	}
	c := command{timeout: timeout, dir: dir, cdb: cdb}
	switch dir {
	case drive.DirIn:
		c.inLen = uint32(len(buf))
	case drive.DirOut:
		c.out = buf
	}
	if len(cdb) == 0 || len(cdb) > MaxCDB {
		return drive.Result{}, fmt.Errorf("serial.Do: CDB of %d bytes, want 1 to %d: %w", len(cdb), MaxCDB, ErrMalformed)
	}
	// The Command carries data-out; the Response carries data-in and sense.
	if commandFixed+len(cdb)+len(buf) > t.opts.MaxPayload || (dir == drive.DirIn && responseFixed+maxSense+len(buf) > t.opts.MaxPayload) {
		return drive.Result{}, fmt.Errorf("serial.Do: %d-byte transfer exceeds the link's %d-byte payload limit: %w",
			len(buf), t.opts.MaxPayload, ErrPayloadTooLarge)
	}
	if !t.synced {
		if err := t.sync(); err != nil {
			return drive.Result{}, err
		}
		t.synced = true
	}
	t.seq++
	seq := t.seq
	cmdFrame := AppendFrame(make([]byte, 0, Overhead+commandFixed+len(cdb)+len(c.out)), Frame{Type: TypeCommand, Seq: seq, Payload: c.append(nil)})
	pollFrame := AppendFrame(nil, Frame{Type: TypePoll, Seq: seq})
	respLen := Overhead + responseFixed + maxSense
	if dir == drive.DirIn {
		respLen += len(buf)
	}
	w := waits{
		resend: t.opts.RetryInterval + t.wireTime(len(cmdFrame)+Overhead),
		poll:   t.opts.RetryInterval + t.wireTime(len(pollFrame)+respLen),
		limit:  timeout + t.opts.LinkAllowance + t.wireTime(len(cmdFrame)+respLen),
	}
	return t.exchange(seq, cmdFrame, pollFrame, dir, buf, w)
}

// waits are one command's timers: how long to wait for an Ack before
// resending the Command, for the Response before polling, and in all.
type waits struct {
	resend, poll, limit time.Duration
}

// wireTime is how long n bytes take on the line (10 bits a byte).
func (t *Transport) wireTime(n int) time.Duration {
	if t.opts.Baud <= 0 {
		return 0
	}
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(t.opts.Baud))
}

func (t *Transport) exchange(seq uint32, cmdFrame, pollFrame []byte, dir drive.Direction, buf []byte, w waits) (drive.Result, error) {
	limit := w.limit
	deadline := t.opts.Clock.After(limit)
	retry := t.opts.Clock.After(w.resend)
	acked := false
	send := func(b []byte) error {
		return t.put(b, deadline, func() error {
			return fmt.Errorf("serial.Do: sending seq %d: no progress within %v: %w", seq, limit, drive.ErrTimeout)
		})
	}
	if err := send(cmdFrame); err != nil {
		return drive.Result{}, err
	}
	for {
		select {
		case f := <-t.frames:
			if f.Seq != seq {
				continue // stale or duplicate answer to an earlier command
			}
			switch f.Type {
			case TypeAck:
				if !acked {
					acked = true
					retry = t.opts.Clock.After(w.poll)
				}
			case 0, TypeNak:
				t.opts.Logf("serial: host: seq %d: resending after %v", seq, f.Type)
				if err := send(cmdFrame); err != nil {
					return drive.Result{}, err
				}
			case TypeResponse:
				return t.result(seq, f.Payload, dir, buf)
			case TypeFailure:
				return drive.Result{}, failureErr(seq, f.Payload)
			}
		case <-retry:
			b, next := cmdFrame, w.resend
			if acked {
				b, next = pollFrame, w.poll
			}
			t.opts.Logf("serial: host: seq %d: no answer yet, sending %v again (acked %v)", seq, FrameType(b[3]), acked)
			if err := send(b); err != nil {
				return drive.Result{}, err
			}
			retry = t.opts.Clock.After(next)
		case <-deadline:
			return drive.Result{}, fmt.Errorf("serial.Do: seq %d: no answer within %v: %w", seq, limit, drive.ErrTimeout)
		case <-t.closed:
			return drive.Result{}, fmt.Errorf("serial.Do: %w", t.linkErr())
		}
	}
}

// put hands one frame to the writer, giving up when the link closes or
// the deadline passes (timeout says why).
func (t *Transport) put(b []byte, deadline <-chan time.Time, timeout func() error) error {
	select {
	case t.out <- b:
		return nil
	case <-t.closed:
		return fmt.Errorf("serial.Do: %w", t.linkErr())
	case <-deadline:
		return timeout()
	}
}

func (t *Transport) result(seq uint32, p []byte, dir drive.Direction, buf []byte) (drive.Result, error) {
	r, err := parseResponse(p)
	if err != nil {
		return drive.Result{}, fmt.Errorf("serial.Do: seq %d: %w", seq, err)
	}
	if dir != drive.DirIn && len(r.in) > 0 || len(r.in) > len(buf) {
		return drive.Result{}, fmt.Errorf("serial.Do: seq %d: %d data-in bytes for a %d-byte buffer: %w", seq, len(r.in), len(buf), ErrMalformed)
	}
	copy(buf, r.in)
	res := drive.Result{Status: r.status, Transferred: int(r.transferred)}
	if dir == drive.DirIn {
		res.Transferred = len(r.in)
	} else if res.Transferred > len(buf) {
		res.Transferred = len(buf)
	}
	if len(r.sense) > 0 {
		res.Sense = append([]byte(nil), r.sense...)
	}
	return res, nil
}

func failureErr(seq uint32, p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("serial.Do: seq %d: device failure without a code: %w", seq, drive.ErrTransport)
	}
	msg := string(p[1:min(len(p), 1+maxMessage)])
	switch p[0] {
	case failTimeout:
		return fmt.Errorf("serial.Do: seq %d: device: %s: %w", seq, msg, drive.ErrTimeout)
	case failBusy:
		return fmt.Errorf("serial.Do: seq %d: device busy with an earlier command (%s): %w", seq, msg, drive.ErrTransport)
	}
	return fmt.Errorf("serial.Do: seq %d: device: %s: %w", seq, msg, drive.ErrTransport)
}

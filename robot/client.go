package robot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options tune the client. The zero value is usable.
type Options struct {
	// Timeout bounds each command when the context has no earlier
	// deadline; motions take seconds. Default 60 s.
	Timeout time.Duration
	// Retry is how long to wait for a reply before sending the command
	// again. Default 3 s.
	Retry time.Duration
	// After supplies timers; nil means time.After.
	After func(time.Duration) <-chan time.Time
	// Logf, if set, receives line events (retransmissions, bad lines).
	Logf func(format string, args ...any)
}

// Option sets one option.
type Option func(*Options)

// WithTimeout sets Options.Timeout.
func WithTimeout(d time.Duration) Option { return func(o *Options) { o.Timeout = d } }

// WithRetry sets Options.Retry.
func WithRetry(d time.Duration) Option { return func(o *Options) { o.Retry = d } }

// WithTimers sets Options.After.
func WithTimers(after func(time.Duration) <-chan time.Time) Option {
	return func(o *Options) { o.After = after }
}

// WithLogf sets Options.Logf.
func WithLogf(f func(string, ...any)) Option { return func(o *Options) { o.Logf = f } }

// Robot is the host side of the robot's line protocol. It is safe for
// concurrent use; commands run one at a time.
type Robot struct {
	opts   Options
	rw     io.ReadWriter
	lines  chan []byte
	out    chan []byte // lines for the writer goroutine
	closed chan struct{}
	once   sync.Once
	errMu  sync.Mutex
	err    error

	mu     sync.Mutex
	seq    int
	synced bool
}

// New starts a client on rw. Close stops it and closes rw if it is an
// io.Closer.
func New(rw io.ReadWriter, opts ...Option) *Robot {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 3 * time.Second
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	r := &Robot{opts: o, rw: rw, lines: make(chan []byte, 8), out: make(chan []byte), closed: make(chan struct{})}
	go r.readLoop()
	go r.writeLoop()
	return r
}

// readLoop splits the stream into lines, dropping any longer than MaxLine.
func (r *Robot) readLoop() {
	br := bufio.NewReaderSize(r.rw, MaxLine+1)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			r.opts.Logf("robot: dropping a line longer than %d bytes", MaxLine)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			r.fail(fmt.Errorf("%w: read: %w", ErrClosed, err))
			return
		}
		select {
		case r.lines <- append([]byte(nil), line...):
		case <-r.closed:
			return
		}
	}
}

// writeLoop writes lines in its own goroutine, so a line that cannot drain
// (a device that stopped reading) holds up no command past its deadline.
func (r *Robot) writeLoop() {
	for {
		select {
		case b := <-r.out:
			if _, err := r.rw.Write(b); err != nil {
				r.fail(fmt.Errorf("%w: write: %w", ErrClosed, err))
				return
			}
		case <-r.closed:
			return
		}
	}
}

func (r *Robot) fail(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
	r.once.Do(func() { close(r.closed) })
}

func (r *Robot) linkErr() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// Close stops the client and closes the line.
func (r *Robot) Close() error {
	r.fail(ErrClosed)
	if c, ok := r.rw.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// do sends one command and waits for its reply, retransmitting the same
// sequence number until the deadline.
func (r *Robot) do(ctx context.Context, words ...string) (Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.synced {
		// The robot answers a command numbered like its previous one from
		// its last reply without acting. A client restarted after a crash
		// numbers from 1 again, so its first command could be taken for the
		// dead client's last one and silently not done. A STATUS first, its
		// answer discarded (it may be that replayed reply), moves the robot's
		// "previous number" onto this client's sequence; STATUS never moves.
		if err := r.endPartialLine(ctx); err != nil {
			return Reply{}, err
		}
		if _, err := r.send(ctx, "STATUS"); err != nil && !isDeviceError(err) {
			return Reply{}, err
		}
		r.synced = true
	}
	return r.send(ctx, words...)
}

// endPartialLine sends a lone LF. A client killed mid-write leaves the
// robot holding part of a line; without the LF the next client's first line
// would be glued onto it, ignored for its checksum, and cost a whole retry
// interval. The robot ignores the bad line the LF ends (and an empty one).
func (r *Robot) endPartialLine(ctx context.Context) error {
	return r.put(ctx, []byte{'\n'}, r.opts.After(r.opts.Timeout), func() error {
		return fmt.Errorf("%w: the line would not take a LF within %v", ErrTimeout, r.opts.Timeout)
	})
}

// put hands one line to the writer, giving up when ctx ends, the link
// closes or the deadline passes (timeout says why).
func (r *Robot) put(ctx context.Context, b []byte, deadline <-chan time.Time, timeout func() error) error {
	select {
	case r.out <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.closed:
		return r.linkErr()
	case <-deadline:
		if err := ctxExpired(ctx); err != nil {
			return err
		}
		return timeout()
	}
}

func isDeviceError(err error) bool {
	var de *DeviceError
	return errors.As(err, &de)
}

// send runs one numbered command; r.mu is held.
func (r *Robot) send(ctx context.Context, words ...string) (Reply, error) {
	op := strings.Join(words, " ")
	r.seq = r.seq%MaxSeq + 1
	seq := r.seq
	line := AppendLine(nil, seq, words...)
	deadline := r.opts.After(r.opts.Timeout)
	for {
		if err := r.put(ctx, line, deadline, func() error {
			return fmt.Errorf("%w: %s (seq %d): the line would not take it within %v", ErrTimeout, op, seq, r.opts.Timeout)
		}); err != nil {
			return Reply{}, err
		}
		retry := r.opts.After(r.opts.Retry)
	wait:
		for {
			select {
			case <-ctx.Done():
				return Reply{}, ctx.Err()
			case <-deadline:
				if err := ctxExpired(ctx); err != nil {
					return Reply{}, err
				}
				return Reply{}, fmt.Errorf("%w: %s (seq %d) after %v", ErrTimeout, op, seq, r.opts.Timeout)
			case <-r.closed:
				return Reply{}, r.linkErr()
			case <-retry:
				r.opts.Logf("robot: no reply to %s (seq %d); sending again", op, seq)
				break wait
			case b := <-r.lines:
				rep, err := ParseReply(b, op)
				if err != nil {
					r.opts.Logf("robot: ignoring bad line %q: %v", b, err)
					continue
				}
				if rep.Seq != seq {
					continue // a late answer to an earlier command
				}
				if rep.Err != nil {
					return Reply{}, rep.Err
				}
				return rep, nil
			}
		}
	}
}

// ctxExpired reports the context's error when the context is done or its
// deadline has passed. The robot's own timer and the context's can be ready
// together (a goroutine descheduled past both); the caller's context then
// wins, so the result does not depend on which one select happens to pick.
// The deadline is checked too because a context's timer marks it done from
// another goroutine, which may not have run yet.
func ctxExpired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// Pick takes a blank from the input bin into the gripper.
func (r *Robot) Pick(ctx context.Context) error {
	_, err := r.do(ctx, "PICK")
	return wrap("robot.Pick", err)
}

// Load puts the gripper's disc into drive n (from 1) and closes its tray.
func (r *Robot) Load(ctx context.Context, n int) error {
	_, err := r.do(ctx, "LOAD", strconv.Itoa(n))
	return wrap("robot.Load", err)
}

// Unload takes the disc from drive n, whose tray must be open, to the
// output bin.
func (r *Robot) Unload(ctx context.Context, n int) error {
	_, err := r.do(ctx, "UNLOAD", strconv.Itoa(n))
	return wrap("robot.Unload", err)
}

// Reject takes the disc from drive n (whose tray must be open), or from the
// gripper when n is 0, to the reject bin.
func (r *Robot) Reject(ctx context.Context, n int) error {
	words := []string{"REJECT"}
	if n != 0 {
		words = append(words, strconv.Itoa(n))
	}
	_, err := r.do(ctx, words...)
	return wrap("robot.Reject", err)
}

// Reset homes the mechanism and clears a jam once a person has freed it.
func (r *Robot) Reset(ctx context.Context) error {
	_, err := r.do(ctx, "RESET")
	return wrap("robot.Reset", err)
}

// Status reads the bins, gripper, jam flag and drives.
func (r *Robot) Status(ctx context.Context) (Status, error) {
	rep, err := r.do(ctx, "STATUS")
	if err != nil {
		return Status{}, wrap("robot.Status", err)
	}
	s, err := parseStatus(rep.Fields)
	return s, wrap("robot.Status", err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

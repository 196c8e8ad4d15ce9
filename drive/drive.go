package drive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Clock is the time source the Drive waits on; tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Option configures a Drive.
type Option func(*Drive)

// WithClock sets the clock used for backoff and polling.
func WithClock(c Clock) Option { return func(d *Drive) { d.clock = c } }

// WithLogger sets the logger for retries and state changes.
func WithLogger(l *slog.Logger) Option { return func(d *Drive) { d.log = l } }

// WithCommandTimeout sets how long a command that names no timeout of its
// own (every one but the slow ones that take drive.LongTimeout) may run
// before the transport gives up on it; zero keeps DefaultTimeout.
func WithCommandTimeout(t time.Duration) Option { return func(d *Drive) { d.cmdTimeout = t } }

// WithBackoff sets the first and the longest wait between retries of a
// recoverable condition, and how long in total one operation keeps
// retrying before it gives up with the last error.
func WithBackoff(first, longest, limit time.Duration) Option {
	return func(d *Drive) { d.backoffFirst, d.backoffMax, d.retryLimit = first, longest, limit }
}

// Drive is an optical drive reached through a Transport. Its methods are
// not safe for concurrent use; a drive runs one command at a time anyway.
type Drive struct {
	t            Transport
	clock        Clock
	log          *slog.Logger
	backoffFirst time.Duration
	backoffMax   time.Duration
	retryLimit   time.Duration
	xfer         uint32 // sectors per READ or WRITE command
	cmdTimeout   time.Duration
}

// New returns a Drive on t. The Drive never opens devices itself.
func New(t Transport, opts ...Option) *Drive {
	d := &Drive{
		t: t, clock: realClock{}, log: slog.New(slog.DiscardHandler),
		backoffFirst: 20 * time.Millisecond, backoffMax: time.Second, retryLimit: 3 * time.Minute,
	}
	for _, o := range opts {
		o(d)
	}
	d.xfer = transferSectors(t)
	return d
}

// Transport returns the transport the Drive uses.
func (d *Drive) Transport() Transport { return d.t }

// bound returns a transport whose command timeouts never outlast ctx and
// which refuses to start a command once ctx is done. A command already
// sent runs until it completes or its (capped) timeout passes.
func (d *Drive) bound(ctx context.Context) Transport {
	return ctxTransport{ctx: ctx, t: d.t, clock: d.clock, def: d.cmdTimeout}
}

type ctxTransport struct {
	ctx   context.Context
	t     Transport
	clock Clock
	def   time.Duration // WithCommandTimeout's (0: DefaultTimeout)
}

func (c ctxTransport) Do(cdb []byte, dir Direction, buf []byte, timeout time.Duration) (Result, error) {
	if err := c.ctx.Err(); err != nil {
		return Result{}, err
	}
	if dl, ok := c.ctx.Deadline(); ok {
		left := dl.Sub(c.clock.Now())
		if left <= 0 {
			return Result{}, context.DeadlineExceeded
		}
		if timeout <= 0 || left < timeout {
			timeout = left
		}
	}
	return c.t.Do(cdb, dir, buf, timeout)
}

// retryable reports whether err is a condition that passes by itself.
func retryable(err error) bool {
	var se *SenseError
	if errors.As(err, &se) {
		return se.Retryable()
	}
	return errors.Is(err, ErrBusy)
}

// retry runs fn until it succeeds, fails with an unrecoverable error, ctx
// ends or the retry limit passes, waiting with exponential backoff in
// between. The returned error is fn's last, prefixed by op.
func (d *Drive) retry(ctx context.Context, op string, fn func() error) error {
	return d.retryWhen(ctx, op, retryable, fn)
}

// retryWhen is retry with its own test of which errors pass by themselves.
func (d *Drive) retryWhen(ctx context.Context, op string, again func(error) bool, fn func() error) error {
	return d.retryUpTo(ctx, op, again, d.backoffMax, fn)
}

// pollMax caps the wait between the TEST UNIT READY polls that wait out a
// long operation or a spin-up. On the error backoff alone (doubling to
// backoffMax, 1 s) a 15 s finalise is seen done up to a second late, and
// every disc of a tower loses that much of its drive's time; a TEST UNIT
// READY costs the host and the drive next to nothing.
const pollMax = 50 * time.Millisecond

// poll is retryWhen for waiting on the drive: the backoff stops growing
// at pollMax.
func (d *Drive) poll(ctx context.Context, op string, again func(error) bool, fn func() error) error {
	return d.retryUpTo(ctx, op, again, min(d.backoffMax, pollMax), fn)
}

// retryUpTo is retryWhen with the longest wait between tries given.
func (d *Drive) retryUpTo(ctx context.Context, op string, again func(error) bool, longest time.Duration, fn func() error) error {
	start := d.clock.Now()
	wait := d.backoffFirst
	var last error
	for {
		err := fn()
		if err == nil {
			return nil
		}
		ended := ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
		if last != nil && ended {
			// The deadline cut the retries short: say what was waited for.
			return fmt.Errorf("drive.%s: %w while retrying: %w", op, ctx.Err(), last)
		}
		if !again(err) {
			return fmt.Errorf("drive.%s: %w", op, err)
		}
		last = err
		if d.clock.Now().Sub(start) >= d.retryLimit {
			return fmt.Errorf("drive.%s: still failing after %v of retries: %w", op, d.retryLimit, err)
		}
		d.log.Debug("drive: retrying", "op", op, "err", err, "wait", wait)
		if serr := d.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("drive.%s: %w while retrying: %w", op, serr, err)
		}
		wait = min(2*wait, longest)
	}
}

func (d *Drive) sleep(ctx context.Context, dur time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-d.clock.After(dur):
		return nil
	}
}

package serial

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"copystation/drive"
)

// blockDevice is a minimal device for link tests: READ(10)/WRITE(10) on a
// small in-memory medium, TEST UNIT READY reporting NOT READY, and a
// vendor opcode 0xC0 that sleeps past its timeout and reports ErrTimeout,
// and 0xC2 that runs until the test calls finishSlow.
// (Conformance against the real simulator lives in drive/drivetest.)
type blockDevice struct {
	mu      sync.Mutex
	data    map[uint32][]byte
	calls   atomic.Int64
	release chan struct{}
	once    sync.Once
}

func newBlockDevice() *blockDevice {
	return &blockDevice{data: map[uint32][]byte{}, release: make(chan struct{})}
}

// finishSlow lets a running (or later) 0xC2 command complete.
func (d *blockDevice) finishSlow() { d.once.Do(func() { close(d.release) }) }

func (d *blockDevice) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	d.calls.Add(1)
	switch cdb[0] {
	case 0x00:
		return drive.Result{Status: drive.StatusCheckCondition, Sense: []byte{0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x01}}, nil
	case 0x2A:
		lba := binary.BigEndian.Uint32(cdb[2:6])
		d.mu.Lock()
		d.data[lba] = append([]byte(nil), buf...)
		d.mu.Unlock()
		return drive.Result{Transferred: len(buf)}, nil
	case 0x28:
		lba := binary.BigEndian.Uint32(cdb[2:6])
		d.mu.Lock()
		n := copy(buf, d.data[lba])
		d.mu.Unlock()
		return drive.Result{Transferred: n}, nil
	case 0xC0:
		time.Sleep(timeout)
		return drive.Result{}, drive.ErrTimeout
	case 0xC1:
		return drive.Result{}, errors.New("medium changer jammed")
	case 0xC2: // a command slower than the host is willing to wait
		<-d.release
		return drive.Result{}, nil
	}
	return drive.Result{Status: drive.StatusCheckCondition, Sense: []byte{0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0}}, nil
}

type pipeEnd struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p *pipeEnd) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

// pipePair returns the host and device ends of an in-memory full-duplex line.
func pipePair() (host, dev *pipeEnd) {
	h2dR, h2dW := io.Pipe()
	d2hR, d2hW := io.Pipe()
	host = &pipeEnd{Reader: d2hR, Writer: h2dW, closers: []io.Closer{d2hR, h2dW}}
	dev = &pipeEnd{Reader: h2dR, Writer: d2hW, closers: []io.Closer{h2dR, d2hW}}
	return host, dev
}

type link struct {
	host *Transport
	dev  *blockDevice
}

func startLink(t *testing.T, opts Options, wrap func(host, dev *pipeEnd)) *link {
	t.Helper()
	h, d := pipePair()
	if wrap != nil {
		wrap(h, d)
	}
	dev := newBlockDevice()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, d, dev, opts) }()
	host, err := NewTransport(h, opts)
	if err != nil {
		t.Fatalf("NewTransport() = %v", err)
	}
	t.Cleanup(func() {
		dev.finishSlow()
		host.Close()
		cancel()
		d.Close()
		<-done
	})
	return &link{host: host, dev: dev}
}

func rw10(op byte, lba uint32, blocks uint16) []byte {
	cdb := []byte{op, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(cdb[2:], lba)
	binary.BigEndian.PutUint16(cdb[7:], blocks)
	return cdb
}

func pattern(lba uint32, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(uint32(i)*7 + lba)
	}
	return b
}

func TestLinkCommands(t *testing.T) {
	l := startLink(t, Options{RetryInterval: 20 * time.Millisecond}, nil)
	data := pattern(5, 4096)
	if res, err := l.host.Do(rw10(0x2A, 5, 2), drive.DirOut, data, 10*time.Second); err != nil || res.Status != drive.StatusGood || res.Transferred != len(data) {
		t.Fatalf("Do(WRITE(10)) = %+v, %v; want GOOD, %d transferred", res, err, len(data))
	}
	got := make([]byte, 4096)
	if res, err := l.host.Do(rw10(0x28, 5, 2), drive.DirIn, got, 10*time.Second); err != nil || res.Transferred != 4096 || string(got) != string(data) {
		t.Fatalf("Do(READ(10)) = %+v, %v; data equal %v", res, err, string(got) == string(data))
	}
	res, err := l.host.Do([]byte{0, 0, 0, 0, 0, 0}, drive.DirNone, nil, 10*time.Second)
	if err != nil || res.Status != drive.StatusCheckCondition || len(res.Sense) != 14 || res.Sense[12] != 0x04 {
		t.Fatalf("Do(TEST UNIT READY) = %+v, %v; want CHECK CONDITION with 14 sense bytes, ASC 0x04", res, err)
	}
}

func TestLinkErrors(t *testing.T) {
	// The allowance is wide so the device's own answer (a timeout, a
	// transport error) always arrives before the host would give up.
	l := startLink(t, Options{RetryInterval: 20 * time.Millisecond, LinkAllowance: 10 * time.Second, MaxPayload: 8192}, nil)
	tests := []struct {
		name string
		cdb  []byte
		dir  drive.Direction
		buf  []byte
		want error
	}{
		{name: "device timeout", cdb: []byte{0xC0, 0, 0, 0, 0, 0}, want: drive.ErrTimeout},
		{name: "device transport error", cdb: []byte{0xC1, 0, 0, 0, 0, 0}, want: drive.ErrTransport},
		{name: "payload over the limit", cdb: rw10(0x2A, 0, 8), dir: drive.DirOut, buf: make([]byte, 16384), want: ErrPayloadTooLarge},
		{name: "data-in whose response would not fit", cdb: rw10(0x28, 0, 4), dir: drive.DirIn, buf: make([]byte, 8192-100), want: ErrPayloadTooLarge},
		{name: "empty CDB", cdb: nil, want: ErrMalformed},
		{name: "CDB too long", cdb: make([]byte, 17), want: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.host.Do(tc.cdb, tc.dir, tc.buf, 50*time.Millisecond)
			if !errors.Is(err, tc.want) {
				t.Errorf("Do(%x) = %v, want %v", tc.cdb, err, tc.want)
			}
		})
	}
}

// TestLinkDeadline: a device that never answers makes Do fail with
// ErrTimeout once the command's timeout plus the link allowance has passed.
func TestLinkDeadline(t *testing.T) {
	h, d := pipePair()
	defer d.Close()
	go io.Copy(io.Discard, d) // a line that swallows everything
	host, err := NewTransport(h, Options{RetryInterval: 10 * time.Millisecond, LinkAllowance: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if _, err := host.Do([]byte{0, 0, 0, 0, 0, 0}, drive.DirNone, nil, 50*time.Millisecond); !errors.Is(err, drive.ErrTimeout) {
		t.Fatalf("Do(silent device) = %v, want %v", err, drive.ErrTimeout)
	}
}

func TestLinkClose(t *testing.T) {
	h, d := pipePair()
	defer d.Close()
	sent := make(chan struct{}, 1)
	go func() { // a device that never answers, telling the test once the command is on the line
		dec := NewDecoder(d, 0)
		for {
			if _, err := dec.Next(); err != nil {
				return
			}
			select {
			case sent <- struct{}{}:
			default:
			}
		}
	}()
	host, err := NewTransport(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := host.Do([]byte{0, 0, 0, 0, 0, 0}, drive.DirNone, nil, time.Hour)
		errc <- err
	}()
	<-sent // the command is in flight
	host.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("Do() after Close = %v, want %v", err, ErrClosed)
	}
}

// TestServeBusy: after the host gave up on a command the device is still
// running, the next command is refused as busy (never queued or run
// concurrently), and the link recovers once the device is done.
func TestServeBusy(t *testing.T) {
	l := startLink(t, Options{RetryInterval: 10 * time.Millisecond, LinkAllowance: 10 * time.Millisecond}, nil)
	tur := []byte{0x00, 0, 0, 0, 0, 0}
	// The slow command runs until finishSlow, so the host always gives up first.
	if _, err := l.host.Do([]byte{0xC2, 0, 0, 0, 0, 0}, drive.DirNone, nil, 20*time.Millisecond); !errors.Is(err, drive.ErrTimeout) {
		t.Fatalf("Do(slow command) = %v, want %v", err, drive.ErrTimeout)
	}
	if _, err := l.host.Do(tur, drive.DirNone, nil, 10*time.Second); !errors.Is(err, drive.ErrTransport) || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("Do(TEST UNIT READY) while busy = %v, want a busy %v", err, drive.ErrTransport)
	}
	l.dev.finishSlow()
	// The device clears its running command just after the device returns:
	// until then it may still say busy.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		res, err := l.host.Do(tur, drive.DirNone, nil, 10*time.Second)
		if err != nil && strings.Contains(err.Error(), "busy") && time.Now().Before(deadline) {
			continue
		}
		if err != nil || res.Status != drive.StatusCheckCondition {
			t.Fatalf("Do(TEST UNIT READY) after = %+v, %v; want the device's answer", res, err)
		}
		break
	}
	if c := l.dev.calls.Load(); c != 2 {
		t.Errorf("device ran %d commands, want 2 (the slow one and one TEST UNIT READY; busy ones never run)", c)
	}
}

func TestServeStops(t *testing.T) {
	_, d := pipePair()
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, d, newBlockDevice(), Options{}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve() after cancel = %v, want %v", err, context.Canceled)
	}
	h, d2 := pipePair()
	go func() { done <- Serve(context.Background(), d2, newBlockDevice(), Options{}) }()
	h.Close()
	d2.Close()
	if err := <-done; err == nil {
		t.Errorf("Serve() on a closed line = nil, want the read error")
	}
}

// manualClock fires After channels only when the test advances it.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// waitFor blocks until n timers are pending (the host has armed them).
func (c *manualClock) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		got := len(c.waiters)
		c.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("host never armed %d timers", n)
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// TestHostClock: the host's retries and deadline run on the injected
// clock; a silent device is given up on when that clock says so.
func TestHostClock(t *testing.T) {
	h, d := pipePair()
	defer d.Close()
	frames := make(chan Frame, 64)
	go func() {
		dec := NewDecoder(d, 0)
		for {
			f, err := dec.Next()
			if err != nil {
				return
			}
			if f.Type == TypeSync { // open the session at once
				d.Write(AppendFrame(nil, Frame{Type: TypeSyncAck, Seq: f.Seq}))
				continue
			}
			frames <- f
		}
	}()
	clk := &manualClock{now: time.Unix(0, 0)}
	host, err := NewTransport(h, Options{Clock: clk, RetryInterval: time.Second, LinkAllowance: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := host.Do([]byte{0, 0, 0, 0, 0, 0}, drive.DirNone, nil, 10*time.Second)
		errc <- err
	}()
	clk.waitFor(t, 1) // the silence before the Sync
	clk.advance(2 * InterByteTimeout)
	if f := <-frames; f.Type != TypeCommand {
		t.Fatalf("first frame after the Sync = %v, want Command", f.Type)
	}
	for i := range 3 { // three retry intervals: three resends, no deadline yet
		// The deadline and the next retry, and the first time the Sync's
		// two timers, left pending when its SyncAck came.
		pending := 3
		if i == 0 {
			pending = 4
		}
		clk.waitFor(t, pending)
		clk.advance(time.Second)
		if f := <-frames; f.Type != TypeCommand {
			t.Fatalf("frame after %ds = %v, want the Command again", i+1, f.Type)
		}
	}
	select {
	case err := <-errc:
		t.Fatalf("Do() returned %v before its deadline on the injected clock", err)
	default:
	}
	clk.advance(time.Minute)
	if err := <-errc; !errors.Is(err, drive.ErrTimeout) {
		t.Fatalf("Do() after the deadline = %v, want %v", err, drive.ErrTimeout)
	}
}

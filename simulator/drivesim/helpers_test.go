package drivesim

import (
	"bytes"
	"copystation/drive"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// earliest is the earliest time anything waits on the clock for, zero if
// nothing waits.
func (c *fakeClock) earliest() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for _, w := range c.waiters {
		if at.IsZero() || w.at.Before(at) {
			at = w.at
		}
	}
	return at
}

// nextWait waits, in real time up to limit, until something waits on the
// clock, and returns the earliest time waited for. The clock does not move.
func (c *fakeClock) nextWait(t *testing.T, limit time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if at := c.earliest(); !at.IsZero() {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing waited on the clock within %v", limit)
		}
		time.Sleep(time.Millisecond)
	}
}

// newTestDrive makes a drive with a fake clock, a disc of type m (0 for
// none) and its power-on and media-change attentions already consumed.
func newTestDrive(t *testing.T, m MediaType, opts Options) (*Drive, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	opts.Clock = clk
	opts.Dir = t.TempDir()
	opts.Media = m
	d, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v) = %v", opts, err)
	}
	t.Cleanup(func() { d.Close() })
	clk.Advance(time.Minute)
	for range 3 {
		d.Do(cdbTUR(), drive.DirNone, nil, time.Second)
	}
	return d, clk
}

func cdbTUR() []byte { return make([]byte, 6) }

func cdbWrite12(lba, n uint32, streaming bool) []byte {
	c := make([]byte, 12)
	c[0] = byte(drive.OpWrite12)
	binary.BigEndian.PutUint32(c[2:], lba)
	binary.BigEndian.PutUint32(c[6:], n)
	if streaming {
		c[10] = 0x80
	}
	return c
}

func cdbWrite10(lba uint32, n uint16) []byte {
	c := make([]byte, 10)
	c[0] = byte(drive.OpWrite10)
	binary.BigEndian.PutUint32(c[2:], lba)
	binary.BigEndian.PutUint16(c[7:], n)
	return c
}

func cdbRead12(lba, n uint32) []byte {
	c := make([]byte, 12)
	c[0] = byte(drive.OpRead12)
	binary.BigEndian.PutUint32(c[2:], lba)
	binary.BigEndian.PutUint32(c[6:], n)
	return c
}

func cdbRead10(lba uint32, n uint16) []byte {
	c := make([]byte, 10)
	c[0] = byte(drive.OpRead10)
	binary.BigEndian.PutUint32(c[2:], lba)
	binary.BigEndian.PutUint16(c[7:], n)
	return c
}

func cdbSync(immed bool) []byte {
	c := make([]byte, 10)
	c[0] = byte(drive.OpSynchronizeCache)
	if immed {
		c[1] = 0x02
	}
	return c
}

func cdbClose(fn byte, track uint16, immed bool) []byte {
	c := make([]byte, 10)
	c[0] = byte(drive.OpCloseTrackSession)
	if immed {
		c[1] = 1
	}
	c[2] = fn
	binary.BigEndian.PutUint16(c[4:], track)
	return c
}

func cdbAlloc10(op drive.Opcode, b1 byte, alloc uint16) []byte {
	c := make([]byte, 10)
	c[0], c[1] = byte(op), b1
	binary.BigEndian.PutUint16(c[7:], alloc)
	return c
}

func cdbTrackInfo(kind byte, addr uint32) []byte {
	c := cdbAlloc10(drive.OpReadTrackInformation, kind, 48)
	binary.BigEndian.PutUint32(c[2:], addr)
	return c
}

// run executes a command that must succeed and returns the data moved.
func run(t *testing.T, d *Drive, cdb []byte, dir drive.Direction, buf []byte) []byte {
	t.Helper()
	res, err := d.Do(cdb, dir, buf, 10*time.Second)
	if err != nil {
		t.Fatalf("Do(% x) error = %v", cdb, err)
	}
	if res.Status != drive.StatusGood {
		t.Fatalf("Do(% x) status = %#x sense = % x, want GOOD", cdb, res.Status, res.Sense)
	}
	return buf[:res.Transferred]
}

// wantSense executes a command that must fail with exactly want.
func wantSense(t *testing.T, d *Drive, cdb []byte, dir drive.Direction, buf []byte, want string) {
	t.Helper()
	res, err := d.Do(cdb, dir, buf, 10*time.Second)
	if err != nil {
		t.Fatalf("Do(% x) error = %v", cdb, err)
	}
	got := hex.EncodeToString(res.Sense)
	if res.Status != drive.StatusCheckCondition || got != want {
		t.Fatalf("Do(% x) = status %#x sense %s, want CHECK CONDITION sense %s", cdb, res.Status, got, want)
	}
}

// fixedSense builds the expected fixed-format sense bytes as hex.
func fixedSense(key, asc, ascq byte, info *uint32, sks [3]byte) string {
	b := make([]byte, 18)
	b[0] = 0x70
	if info != nil {
		b[0] |= 0x80
		binary.BigEndian.PutUint32(b[3:], *info)
	}
	b[2], b[7], b[12], b[13] = key, 10, asc, ascq
	copy(b[15:], sks[:])
	return hex.EncodeToString(b)
}

func lbaPtr(l uint32) *uint32 { return &l }

func pattern(lba, n uint32) []byte {
	b := make([]byte, int(n)*drive.SectorSize)
	for i := range n {
		s := b[int(i)*drive.SectorSize:]
		binary.BigEndian.PutUint32(s, lba+i)
		copy(s[4:], "copystation")
	}
	return b
}

func equalBytes(a, b []byte) bool { return bytes.Equal(a, b) }

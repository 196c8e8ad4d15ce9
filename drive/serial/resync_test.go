package serial

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"copystation/drive"
)

// These tests are about a peer that dies in the middle of a frame: the
// survivor must drop the cut-off frame and talk to the peer's successor.
// Each command gets a short deadline (timeout 1 s plus a 1 s link
// allowance), so a link that stays wedged fails the test with ErrTimeout
// instead of hanging it.

const (
	resyncTimeout   = time.Second
	resyncAllowance = time.Second
)

var tur = []byte{0x00, 0, 0, 0, 0, 0}

// serveDevice runs Serve on dev's end of a line until the test ends.
func serveDevice(t *testing.T, rw io.ReadWriter, dev drive.Transport) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, rw, dev, Options{}) }()
	t.Cleanup(func() { cancel(); <-done })
}

// keepOpen hides a pipe end's Close, so a host that is closed (as a dead
// process's descriptor is) leaves the line to its successor.
type keepOpen struct {
	io.Reader
	io.Writer
}

// commandFrame encodes a WRITE(10) Command carrying n data-out bytes.
func commandFrame(seq uint32, lba uint32, n int) []byte {
	c := command{timeout: 10 * time.Second, dir: drive.DirOut, cdb: rw10(0x2A, lba, uint16(n/2048)), out: pattern(lba, n)}
	return AppendFrame(nil, Frame{Type: TypeCommand, Seq: seq, Payload: c.append(nil)})
}

// TestDeviceDropsDeadHostFrame: a host dies after writing part of a large
// WRITE Command; the next host's first command is answered, not swallowed
// as the rest of the dead host's payload.
func TestDeviceDropsDeadHostFrame(t *testing.T) {
	h, d := pipePair()
	defer h.Close()
	defer d.Close()
	dev := newBlockDevice()
	serveDevice(t, d, dev)
	frame := commandFrame(41, 0, 512<<10)
	if _, err := h.Write(frame[:len(frame)/3]); err != nil { // the dead host's last bytes
		t.Fatal(err)
	}
	host, err := NewTransport(keepOpen{h.Reader, h.Writer}, Options{LinkAllowance: resyncAllowance})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	res, err := host.Do(tur, drive.DirNone, nil, resyncTimeout)
	if err != nil || res.Status != drive.StatusCheckCondition {
		t.Fatalf("new host's Do(TEST UNIT READY) = %+v, %v; want the device's CHECK CONDITION", res, err)
	}
	if c := dev.calls.Load(); c != 1 {
		t.Errorf("device ran %d commands, want 1 (never the dead host's cut-off WRITE)", c)
	}
}

// TestNewHostSameSequence: a new host whose first sequence number is the
// dead host's last one gets its own command run, not the dead host's
// cached answer.
func TestNewHostSameSequence(t *testing.T) {
	h, d := pipePair()
	defer h.Close()
	defer d.Close()
	dev := newBlockDevice()
	serveDevice(t, d, dev)
	r := &relay{}
	go r.run(h.Reader)
	defer r.close()
	seed := bytes.Repeat([]byte{7}, 64) // both hosts draw the same first sequence number
	old, err := NewTransport(keepOpen{r.attach(), h.Writer}, Options{Rand: bytes.NewReader(seed), LinkAllowance: resyncAllowance})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Do(rw10(0x2A, 3, 1), drive.DirOut, pattern(3, 2048), resyncTimeout); err != nil {
		t.Fatalf("old host's Do(WRITE) = %v", err)
	}
	old.Close()
	host, err := NewTransport(keepOpen{r.attach(), h.Writer}, Options{Rand: bytes.NewReader(seed), LinkAllowance: resyncAllowance})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	res, err := host.Do(tur, drive.DirNone, nil, resyncTimeout)
	if err != nil || res.Status != drive.StatusCheckCondition {
		t.Fatalf("new host's Do(TEST UNIT READY) = %+v, %v; want the device's CHECK CONDITION, not the old WRITE's answer", res, err)
	}
	if c := dev.calls.Load(); c != 2 {
		t.Errorf("device ran %d commands, want 2 (the old host's WRITE and the new host's TEST UNIT READY)", c)
	}
}

// relay feeds one side's incoming bytes to whichever instance of the other
// side is attached, so a peer can die (its input cut, its output stopped
// mid-frame) and a new one take over the same line, as a restarted daemon
// or a rebooted drive bridge does.
type relay struct {
	mu  sync.Mutex
	cur *io.PipeWriter
}

func (r *relay) run(src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		r.mu.Lock()
		w := r.cur
		r.mu.Unlock()
		if w != nil && n > 0 {
			w.Write(buf[:n]) // a dead device's input is lost, as on a real line
		}
		if err != nil {
			return
		}
	}
}

// attach gives a new device instance its own input from the relay,
// cutting off the previous one's.
func (r *relay) attach() io.Reader {
	pr, pw := io.Pipe()
	r.mu.Lock()
	if r.cur != nil {
		r.cur.CloseWithError(io.ErrClosedPipe)
	}
	r.cur = pw
	r.mu.Unlock()
	return pr
}

// close cuts the attached instance off, releasing a relay blocked on it.
func (r *relay) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		r.cur.CloseWithError(io.ErrClosedPipe)
		r.cur = nil
	}
}

// dyingWriter passes frames on until one longer than bigger, of which it
// writes only cut bytes and then fails: the device died mid-answer.
type dyingWriter struct {
	w      io.Writer
	bigger int
	cut    int
}

var errDied = errors.New("device died")

func (d *dyingWriter) Write(b []byte) (int, error) {
	if len(b) > d.bigger {
		d.w.Write(b[:d.cut])
		return 0, errDied
	}
	return d.w.Write(b)
}

// TestHostDropsDeadDeviceAnswer: the device dies after sending part of a
// large READ Response; the host drops the cut-off frame and its next poll
// reaches the device's successor, which runs the READ again.
func TestHostDropsDeadDeviceAnswer(t *testing.T) {
	h, d := pipePair()
	defer h.Close()
	defer d.Close()
	dev := newBlockDevice()
	r := &relay{}
	go r.run(d.Reader)
	defer r.close()
	first := make(chan error, 1)
	go func() {
		first <- Serve(context.Background(), keepOpen{r.attach(), &dyingWriter{w: d.Writer, bigger: 64 << 10, cut: 4096}}, dev, Options{})
	}()
	host, err := NewTransport(h, Options{LinkAllowance: resyncAllowance})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	const n = 256 << 10
	data := pattern(9, n)
	if _, err := host.Do(rw10(0x2A, 9, n/2048), drive.DirOut, data, resyncTimeout); err != nil {
		t.Fatalf("Do(WRITE) = %v", err)
	}
	got := make([]byte, n)
	errc := make(chan error, 1)
	go func() {
		_, err := host.Do(rw10(0x28, 9, n/2048), drive.DirIn, got, resyncTimeout)
		errc <- err
	}()
	if err := <-first; !errors.Is(err, errDied) {
		t.Fatalf("first device's Serve() = %v, want it to die mid-answer", err)
	}
	serveDevice(t, keepOpen{r.attach(), d.Writer}, dev)
	if err := <-errc; err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Do(READ) across the device's death = %v, data equal %v", err, bytes.Equal(got, data))
	}
}

// TestDeadHostCampaign kills a host at seeded random byte offsets inside
// large WRITE Commands, over an in-memory line; the pty campaigns in
// campaign_test.go do the same against copysim.
func TestDeadHostCampaign(t *testing.T) {
	h, d := pipePair()
	defer h.Close()
	defer d.Close()
	dev := newBlockDevice()
	serveDevice(t, d, dev)
	r := &relay{}
	go r.run(h.Reader)
	defer r.close()
	rng := rand.New(rand.NewPCG(17, 14))
	for i := range campaignKills(t) {
		frame := commandFrame(rng.Uint32(), uint32(i), (1+rng.IntN(256))*2048)
		cut := 1 + rng.IntN(len(frame)-1)
		if _, err := h.Write(frame[:cut]); err != nil {
			t.Fatal(err)
		}
		host, err := NewTransport(keepOpen{r.attach(), h.Writer}, Options{LinkAllowance: resyncAllowance})
		if err != nil {
			t.Fatal(err)
		}
		res, err := host.Do(tur, drive.DirNone, nil, resyncTimeout)
		if err != nil || res.Status != drive.StatusCheckCondition {
			t.Fatalf("kill %d at byte %d of %d: next host's Do(TEST UNIT READY) = %+v, %v", i, cut, len(frame), res, err)
		}
		host.Close()
	}
}

// CampaignKills is how many kills a campaign makes: short, or the number
// in COPYSTATION_SERIAL_KILLS (the long mode, e.g. 500).
func CampaignKills(tb testing.TB, short int) int {
	v := os.Getenv("COPYSTATION_SERIAL_KILLS")
	if v == "" {
		return short
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("COPYSTATION_SERIAL_KILLS=%q: want a positive number of kills", v)
	}
	return n
}

func campaignKills(tb testing.TB) int { return CampaignKills(tb, 20) }

package serial

import (
	"strings"
	"testing"
	"time"

	"copystation/drive"
)

// TestSyncWaitsForDeadHostCommand: a host dies while the device runs its
// slow command. The next host's first command is neither refused as busy
// nor run beside it: the host's Sync is answered Ack ("wait") until the
// command ends, then SyncAck, and the command runs.
func TestSyncWaitsForDeadHostCommand(t *testing.T) {
	h, d := pipePair()
	defer h.Close()
	defer d.Close()
	dev := newBlockDevice()
	serveDevice(t, d, dev)
	r := &relay{}
	go r.run(h.Reader)
	defer r.close()
	dead, err := NewTransport(keepOpen{r.attach(), h.Writer}, Options{LinkAllowance: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The host gives up first: the command runs until finishSlow.
	if _, err := dead.Do([]byte{0xC2, 0, 0, 0, 0, 0}, drive.DirNone, nil, 10*time.Millisecond); err == nil {
		t.Fatalf("Do(slow command) = nil, want the host to give up")
	}
	dead.Close()
	waiting := make(chan struct{})
	var once bool
	logf := func(format string, args ...any) {
		if strings.Contains(format, "still running") && !once {
			once = true
			close(waiting)
		}
	}
	host, err := NewTransport(keepOpen{r.attach(), h.Writer}, Options{LinkAllowance: 10 * time.Second, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	type answer struct {
		res drive.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := host.Do(tur, drive.DirNone, nil, time.Second)
		done <- answer{res, err}
	}()
	select {
	case <-waiting:
	case a := <-done:
		t.Fatalf("new host's Do(TEST UNIT READY) while the dead host's command runs = %+v, %v; want it to wait", a.res, a.err)
	}
	dev.finishSlow()
	if a := <-done; a.err != nil || a.res.Status != drive.StatusCheckCondition {
		t.Fatalf("new host's Do(TEST UNIT READY) after the command ended = %+v, %v; want the device's CHECK CONDITION", a.res, a.err)
	}
	if c := dev.calls.Load(); c != 2 {
		t.Errorf("device ran %d commands, want 2 (the slow one, then TEST UNIT READY)", c)
	}
}

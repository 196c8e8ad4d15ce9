package serialline

import (
	"errors"
	"testing"
	"time"

	"copystation/internal/testenv"
	"copystation/simulator/pty"
)

var errTestClosed = errors.New("test line closed")

func openPair(t *testing.T) (*pty.Pair, *Line) {
	t.Helper()
	p, err := pty.Open()
	if errors.Is(err, pty.ErrUnsupported) {
		testenv.Requiref(t, "no pseudo-terminals here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	l, err := Open(p.SlavePath, 115200, errTestClosed)
	if err != nil {
		t.Fatalf("Open(%s) = %v, want nil", p.SlavePath, err)
	}
	t.Cleanup(func() { l.Close() })
	return p, l
}

func TestReadBlocksUntilData(t *testing.T) {
	p, l := openPair(t)
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 16)
		n, err := l.Read(b)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(b[:n])
	}()
	// Longer than the port's read timeout, so the read must have gone round
	// its io.EOF loop at least once before data arrives.
	time.Sleep(3 * pollInterval)
	if _, err := p.Master.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "hello" {
			t.Fatalf("Read = %q, want %q", s, "hello")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Read did not return after data arrived")
	}
}

func TestCloseEndsBlockedRead(t *testing.T) {
	_, l := openPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := l.Read(make([]byte, 1))
		done <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, errTestClosed) {
			t.Fatalf("Read after Close = %v, want %v", err, errTestClosed)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a read blocked on the line did not end at Close")
	}
}

func TestOpenMissingDevice(t *testing.T) {
	if _, err := Open(t.TempDir()+"/no-such-tty", 9600, errTestClosed); err == nil {
		t.Fatal("Open(missing) = nil error, want an error")
	}
}

package pty

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"copystation/internal/testenv"
)

func TestRawPair(t *testing.T) {
	p, err := Open()
	if errors.Is(err, ErrUnsupported) {
		testenv.Require(t, "pseudo-terminals need Linux")
	}
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer p.Close()
	host, err := os.OpenFile(p.SlavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open %s: %v", p.SlavePath, err)
	}
	defer host.Close()
	// Every byte value crosses unchanged both ways: raw mode.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := host.Write(all); err != nil {
		t.Fatal(err)
	}
	got := readN(t, p.Master, len(all))
	if !bytes.Equal(got, all) {
		t.Errorf("master read %x, want %x", got, all)
	}
	if _, err := p.Master.Write(all); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, host, len(all)); !bytes.Equal(got, all) {
		t.Errorf("slave read %x, want %x", got, all)
	}
	// Close wakes a pending read on the master.
	done := make(chan error, 1)
	go func() { _, err := p.Master.Read(make([]byte, 1)); done <- err }()
	time.Sleep(10 * time.Millisecond)
	p.Master.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Read after Close = nil error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake a pending Read")
	}
}

func readN(t *testing.T, f *os.File, n int) []byte {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(5 * time.Second))
	var out []byte
	buf := make([]byte, n)
	for len(out) < n {
		k, err := f.Read(buf)
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v", len(out), n, err)
		}
		out = append(out, buf[:k]...)
	}
	return out
}

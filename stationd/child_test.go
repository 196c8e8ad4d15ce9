package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"copystation/stationd/simstation"
)

// child is one stationd process on simulated parts.
type child struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	ready  chan struct{}
	exited chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startChild runs `stationd simrun` in dir against nw, with extra
// environment, and returns once it is running (not yet ready).
func startChild(t *testing.T, dir string, nw *simstation.Network, env ...string) *child {
	t.Helper()
	pin := nw.Pin()
	p, err := nw.Players()
	if err != nil {
		t.Fatal(err)
	}
	return startProc(t, []string{"simrun", "--dir", dir, "--node", pin.Address + "," + pin.StaticKey + "," + pin.SigningKey,
		"--group", hex.EncodeToString(nw.Group()), "--players", fmt.Sprintf("%s,%d", p.Tree, p.Depth), "--log-level", "debug"}, env...)
}

// startProc runs stationd with args as a child process with a notify
// socket of its own.
func startProc(t *testing.T, args []string, env ...string) *child {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1", "NOTIFY_SOCKET="+sock)
	cmd.Env = append(cmd.Env, env...)
	c := &child{cmd: cmd, stderr: &syncBuffer{}, ready: make(chan struct{}), exited: make(chan error, 1)}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		ln.Close()
		t.Fatal(err)
	}
	go func() {
		defer ln.Close()
		b := make([]byte, 4096)
		for {
			ln.SetReadDeadline(time.Now().Add(2 * time.Minute))
			n, err := ln.Read(b)
			if err != nil {
				return
			}
			if strings.Contains(string(b[:n]), "READY=1") {
				close(c.ready)
				return
			}
		}
	}()
	go func() { c.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// waitReady waits for READY=1 and returns the time it took since start.
func (c *child) waitReady(t *testing.T, start time.Time) time.Duration {
	t.Helper()
	select {
	case <-c.ready:
		return time.Since(start)
	case err := <-c.exited:
		t.Fatalf("stationd exited before READY: %v\n%s", err, c.stderr.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("stationd not READY after 90 s\n%s", c.stderr.String())
	}
	return 0
}

// stop sends SIGTERM and waits.
func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		t.Errorf("stationd did not stop within 30 s of SIGTERM")
	}
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

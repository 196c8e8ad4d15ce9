// Package tpmtest starts real software TPMs (swtpm processes) for tests.
package tpmtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"copystation/internal/testenv"
)

// Swtpm is an swtpm process serving one TPM 2.0 on a Unix socket, with its
// state in a directory so it can be stopped and started again.
type Swtpm struct {
	t      testing.TB
	dir    string
	cmd    *exec.Cmd
	sock   string
	ctrl   string
	exited chan struct{}
	port   int // TCP command port; 0 for Unix sockets
}

// Options for StartSwtpm.
type Options struct {
	// EKCert runs swtpm_setup first so the TPM holds EK certificates in
	// the standard NV indices, issued by swtpm's local test CA.
	EKCert bool
	// TCP serves on loopback TCP (command port and port+1 for control)
	// instead of Unix sockets.
	TCP bool
}

// StartSwtpm starts swtpm, or skips the test when swtpm is not installed.
// The process is killed when the test ends.
func StartSwtpm(t testing.TB, opts Options) *Swtpm {
	t.Helper()
	if _, err := exec.LookPath("swtpm"); err != nil {
		testenv.Require(t, "swtpm is not installed (apt-get install swtpm swtpm-tools); CI installs it")
	}
	dir, err := os.MkdirTemp("", "swtpm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Swtpm{t: t, dir: dir, sock: filepath.Join(dir, "tpm.sock"), ctrl: filepath.Join(dir, "ctrl.sock")}
	if err := os.Mkdir(s.StateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if opts.EKCert {
		s.setupEKCert()
	}
	if opts.TCP {
		s.port = freePortPair(t)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// StateDir is where swtpm keeps its NV state.
func (s *Swtpm) StateDir() string { return filepath.Join(s.dir, "state") }

// URI is the tpm.Open URI of this TPM.
func (s *Swtpm) URI() string {
	if s.port != 0 {
		return fmt.Sprintf("swtpm:tcp:127.0.0.1:%d", s.port)
	}
	return "swtpm:unix:" + s.sock + "?ctrl=" + s.ctrl
}

// freePortPair finds a loopback port p with p+1 also free.
func freePortPair(t testing.TB) int {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1)); err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no free pair of loopback ports")
	return 0
}

func (s *Swtpm) setupEKCert() {
	s.t.Helper()
	if _, err := exec.LookPath("swtpm_setup"); err != nil {
		testenv.Require(s.t, "swtpm_setup is not installed (apt-get install swtpm-tools); CI installs it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "swtpm_setup", "--tpm2", "--tpmstate", s.StateDir(),
		"--create-ek-cert", "--create-platform-cert", "--ecc", "--overwrite")
	if out, err := cmd.CombinedOutput(); err != nil {
		testenv.Requiref(s.t, "swtpm_setup could not make EK certificates (its local CA needs /etc/swtpm-localca.conf): %v\n%s", err, out)
	}
}

// Start starts the process (again) on the same state.
func (s *Swtpm) Start() {
	s.t.Helper()
	os.Remove(s.sock)
	os.Remove(s.ctrl)
	server, ctrl := "type=unixio,path="+s.sock, "type=unixio,path="+s.ctrl
	addr := []string{"unix", s.sock}
	if s.port != 0 {
		server = fmt.Sprintf("type=tcp,port=%d,bindaddr=127.0.0.1", s.port)
		ctrl = fmt.Sprintf("type=tcp,port=%d,bindaddr=127.0.0.1", s.port+1)
		addr = []string{"tcp", fmt.Sprintf("127.0.0.1:%d", s.port)}
	}
	s.cmd = exec.Command("swtpm", "socket", "--tpm2",
		"--server", server,
		"--ctrl", ctrl,
		"--tpmstate", "dir="+s.StateDir(),
		"--flags", "not-need-init,startup-clear",
		"--log", "file="+filepath.Join(s.dir, "swtpm.log"))
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start swtpm: %v", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial(addr[0], addr[1]); err == nil {
			c.Close()
			return
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "swtpm.log"))
			s.t.Fatalf("swtpm exited at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("swtpm did not open %s within 20s", s.sock)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after 5 s); its state stays.
func (s *Swtpm) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// String describes the TPM for test logs.
func (s *Swtpm) String() string { return fmt.Sprintf("swtpm(%s)", s.dir) }

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
)

// Swtpm is an swtpm process serving one TPM 2.0 on a Unix socket, with its
// state in a directory so it can be stopped and started again.
type Swtpm struct {
	t        testing.TB
	dir      string
	cmd      *exec.Cmd
	sock     string
	ctrl     string
	exited   chan struct{}
	startErr error
}

// Options for StartSwtpm.
type Options struct {
	// EKCert runs swtpm_setup first so the TPM holds EK certificates in
	// the standard NV indices, issued by swtpm's local test CA.
	EKCert bool
}

// StartSwtpm starts swtpm, or skips the test when swtpm is not installed.
// The process is killed when the test ends.
func StartSwtpm(t testing.TB, opts Options) *Swtpm {
	t.Helper()
	if _, err := exec.LookPath("swtpm"); err != nil {
		t.Skip("swtpm is not installed (apt-get install swtpm swtpm-tools); CI installs it")
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
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// StateDir is where swtpm keeps its NV state.
func (s *Swtpm) StateDir() string { return filepath.Join(s.dir, "state") }

// URI is the tpm.Open URI of this TPM.
func (s *Swtpm) URI() string { return "swtpm:unix:" + s.sock + "?ctrl=" + s.ctrl }

func (s *Swtpm) setupEKCert() {
	s.t.Helper()
	if _, err := exec.LookPath("swtpm_setup"); err != nil {
		s.t.Skip("swtpm_setup is not installed (apt-get install swtpm-tools); CI installs it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "swtpm_setup", "--tpm2", "--tpmstate", s.StateDir(),
		"--create-ek-cert", "--create-platform-cert", "--ecc", "--overwrite")
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Skipf("swtpm_setup could not make EK certificates (its local CA needs /etc/swtpm-localca.conf): %v\n%s", err, out)
	}
}

// Start starts the process (again) on the same state.
func (s *Swtpm) Start() {
	s.t.Helper()
	os.Remove(s.sock)
	os.Remove(s.ctrl)
	s.cmd = exec.Command("swtpm", "socket", "--tpm2",
		"--server", "type=unixio,path="+s.sock,
		"--ctrl", "type=unixio,path="+s.ctrl,
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
		if c, err := net.Dial("unix", s.sock); err == nil {
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

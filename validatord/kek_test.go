//go:build linux

package validatord

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Environment of a child process that runs one command under a file size
// limit (see TestMain).
const (
	envChildArgs  = "VALIDATORD_CHILD_ARGS"
	envChildLimit = "VALIDATORD_CHILD_FSIZE"
)

// TestMain lets the test binary run one validatord command whose file
// writes fail part way (RLIMIT_FSIZE; SIGXFSZ ignored), the way a full disk
// or a power cut cuts a write short.
func TestMain(m *testing.M) {
	if args := os.Getenv(envChildArgs); args != "" {
		signal.Ignore(syscall.SIGXFSZ)
		lim := uint64(0)
		if os.Getenv(envChildLimit) != "" {
			lim = 64
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			os.Exit(99)
		}
		os.Exit(Main(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestInitKEKCutShort: init --make-kek whose writes fail part way leaves
// no KEK file, or a whole one, never an empty or half-written KEK beside a
// vault; run again with room to write, it succeeds.
func TestInitKEKCutShort(t *testing.T) {
	for _, limit := range []string{"", "64"} { // nothing fits; the KEK's 65 bytes don't
		dir := t.TempDir()
		home, kek := filepath.Join(dir, "home"), filepath.Join(dir, "kek")
		args := []string{"init", "--home", home, "--kek-file", kek, "--make-kek",
			"--p2p", freeAddr(t), "--rpc", "tcp://" + freeAddr(t), "--gateway", freeAddr(t)}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChildArgs+"="+strings.Join(args, "\x1f"), envChildLimit+"="+limit)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != ExitFailed {
			t.Fatalf("init under a %q-byte file size limit: exit %d (%v), stderr %q; want %d", limit, code, cmd.ProcessState, stderr.String(), ExitFailed)
		}
		if p, err := os.ReadFile(kek); err == nil {
			t.Errorf("limit %q: init failed but left a KEK file of %d bytes %q; want none", limit, len(p), p)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "home" {
				t.Errorf("limit %q: init left %s behind", limit, e.Name())
			}
		}
		c := &cli{t: t, ctx: context.Background()}
		c.ok(args...)
	}
}

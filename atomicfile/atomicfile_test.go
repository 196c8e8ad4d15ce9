//go:build linux

package atomicfile

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Environment of a child process that writes under a file size limit.
const (
	envChildPath  = "ATOMICFILE_CHILD_PATH"
	envChildLimit = "ATOMICFILE_CHILD_LIMIT"
)

// TestMain lets the test binary run as a writer whose writes fail part way
// (RLIMIT_FSIZE), the way a full disk or a crash cuts a write short.
func TestMain(m *testing.M) {
	if path := os.Getenv(envChildPath); path != "" {
		limit, _ := strconv.ParseUint(os.Getenv(envChildLimit), 10, 64)
		if err := limitFileSize(limit); err != nil {
			os.Exit(3)
		}
		if err := Write(path, bytes.Repeat([]byte("new "), 64)); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// limitFileSize makes every later write past limit bytes fail with EFBIG
// in this process (SIGXFSZ ignored). For child processes of tests only.
func limitFileSize(limit uint64) error {
	signal.Ignore(syscall.SIGXFSZ)
	return syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit})
}

// TestWriteCutShort: a write that fails halfway leaves the old file intact
// and no temporary file behind.
func TestWriteCutShort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kek")
	old := []byte("old contents\n")
	if err := Write(path, old); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildPath+"="+path, envChildLimit+"=100")
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("child writing 256 bytes under a 100-byte limit: exit %d (%v), want 1 (the write fails)", code, err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, old) {
		t.Errorf("after a failed write, file = %q, %v; want the old %q", got, err, old)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want only the file", len(ents))
	}
}

// TestWrite: the new contents, mode 0600, the directory synced after the
// rename.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	real := syncDir
	defer func() { syncDir = real }()
	var synced []string
	syncDir = func(d string) error {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("directory synced before the file is in place: %v", err)
		}
		synced = append(synced, d)
		return real(d)
	}
	for _, b := range [][]byte{[]byte("one"), []byte("two, longer")} {
		if err := Write(path, b); err != nil {
			t.Fatalf("Write(%q) = %v", b, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("ReadFile() = %q, %v; want %q", got, err, b)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if len(synced) != 2 || synced[0] != dir {
		t.Errorf("directories synced = %q, want %q twice", synced, dir)
	}
	if err := Write(filepath.Join(dir, "missing", "f"), nil); err == nil {
		t.Error("Write() into a missing directory = nil, want an error")
	}
}

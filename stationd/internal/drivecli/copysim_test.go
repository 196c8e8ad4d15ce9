package drivecli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"copystation/internal/testenv"
)

// startCopysim builds and runs copysim with a blank BD-R loaded and
// returns its drive pseudo-terminal's path.
func startCopysim(t *testing.T, args ...string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		testenv.Require(t, "copysim's pseudo-terminals need Linux")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "copysim")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "copystation/simulator/cmd/copysim").CombinedOutput(); err != nil {
		t.Fatalf("go build copysim: %v\n%s", err, out)
	}
	link := filepath.Join(dir, "drive")
	cmd := exec.Command(bin, append([]string{"--drive-link", link, "--robot-link", filepath.Join(dir, "robot"), "--dir", dir, "--loaded"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start copysim: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("copysim stderr:\n%s", stderr.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(link); err == nil {
			return link
		}
		if time.Now().After(deadline) {
			t.Fatalf("copysim drive link did not appear within 20s")
		}
	}
}

// TestDiagnosticsOverCopysim runs the commands a person at the machine
// would, against copysim over its pseudo-terminal: info, write (close and
// finalise), info again, read back and compare.
func TestDiagnosticsOverCopysim(t *testing.T) {
	uri := "serial:" + startCopysim(t, "--seed", "12")
	dir := t.TempDir()
	img := filepath.Join(dir, "image.bin")
	data := bytes.Repeat([]byte("a station's disc image "), 100000) // 2.3 MB, not a whole number of sectors
	if err := os.WriteFile(img, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "info", "--device", uri, "--json")
	var before Info
	if code != 0 || json.Unmarshal([]byte(out), &before) != nil || before.MediaState != "blank" || len(before.MediaID) != 32 {
		t.Fatalf("drive info = %d, %+v\n%s", code, before, stderr)
	}
	if code, out, stderr = run(t, "write", "--device", uri, "--image", img, "--speed", "8"); code != 0 || !strings.Contains(out, "wrote 2300000 bytes") {
		t.Fatalf("drive write = %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = run(t, "info", "--device", uri, "--json")
	var after Info
	if code != 0 || json.Unmarshal([]byte(out), &after) != nil || after.MediaState != "complete" || after.MediaID != before.MediaID {
		t.Fatalf("drive info after write = %d, %+v\n%s", code, after, stderr)
	}
	back := filepath.Join(dir, "back.bin")
	sectors := (len(data) + 2047) / 2048
	if code, out, stderr = run(t, "read", "--device", uri, "--out", back); code != 0 {
		t.Fatalf("drive read = %d\n%s%s", code, out, stderr)
	}
	got, err := os.ReadFile(back)
	// Closing the track pads it to a whole ECC cluster, so the recorded
	// area ends on the next 32-sector boundary.
	want := (sectors + 31) / 32 * 32 * 2048
	if err != nil || len(got) != want || !bytes.Equal(got[:len(data)], data) || !bytes.Equal(got[len(data):], make([]byte, len(got)-len(data))) {
		t.Fatalf("read back %d bytes, %v; want the image then zero padding to %d bytes", len(got), err, want)
	}
}

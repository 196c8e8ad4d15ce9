package drivecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/drive/sgio"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		uri  string
		want error
	}{
		{"", ErrBadURI},
		{"/dev/sg0", ErrBadURI},
		{"sg:", ErrBadURI},
		{"serial:", ErrBadURI},
		{"sim:floppy", ErrBadURI},
		{"usb:/dev/x", ErrBadURI},
		{"sg:/dev/null", sgio.ErrNotSCSI},
		{"serial:/nonexistent/tty", os.ErrNotExist},
		{"sim:", nil},
		{"sim:bd-re-25", nil},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			tr, err := Open(tc.uri)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Open(%q) = %v, want %v", tc.uri, err, tc.want)
			}
			if tr != nil {
				tr.Close()
			}
		})
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"info"}, {"info", "--device"}, {"write", "--device", "sim:"}, {"read", "--device", "sim:"}, {"info", "--device", "sim:", "extra"}} {
		if code, _, stderr := run(t, args...); code != 2 || !strings.Contains(stderr, "usage") {
			t.Errorf("Main(%q) = %d, stderr %q; want 2 and the usage", args, code, stderr)
		}
	}
	if code, _, stderr := run(t, "info", "--device", "tape:/dev/st0"); code != 1 || !strings.Contains(stderr, "unknown scheme") {
		t.Errorf("Main(info tape:) = %d, %q; want 1 naming the scheme", code, stderr)
	}
}

func TestMainInfo(t *testing.T) {
	code, out, stderr := run(t, "drive", "info", "--device", "sim:")
	if code != 0 || !strings.Contains(out, "BD-R SRM (0x0041)") || !strings.Contains(out, "media state:   blank") ||
		!strings.Contains(out, "capacity:      12219392 sectors") {
		t.Fatalf("Main(info sim:) = %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = run(t, "info", "--device", "sim:bd-r-50", "--json")
	var in Info
	if code != 0 || json.Unmarshal([]byte(out), &in) != nil || in.CapacitySectors != 24438784 || len(in.MediaID) != 32 || in.NextWritable == nil || *in.NextWritable != 0 {
		t.Fatalf("Main(info --json sim:bd-r-50) = %d, %+v\n%s%s", code, in, out, stderr)
	}
}

func TestMainWrite(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "image.bin")
	if err := os.WriteFile(img, bytes.Repeat([]byte("copystation "), 20000), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"sim:", "sim:bd-re-25"} {
		code, out, stderr := run(t, "write", "--device", uri, "--image", img)
		if code != 0 || !strings.Contains(out, "wrote 240000 bytes (118 sectors)") || !strings.Contains(stderr, "100%") {
			t.Errorf("Main(write %s) = %d\n%s%s", uri, code, out, stderr)
		}
	}
	if code, _, stderr := run(t, "read", "--device", "sim:", "--out", filepath.Join(dir, "out")); code != 1 || !strings.Contains(stderr, "blank") {
		t.Errorf("Main(read blank sim:) = %d, %q; want 1, blank", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed read left %s behind: %v", filepath.Join(dir, "out"), err)
	}
}

// TestWriteSpeedRange: a --speed below 1x is a usage error and one past
// the drive's fastest (the simulator writes 1x to 16x) is refused with the
// range, not quietly turned into 1x or 16x; nothing is written.
func TestWriteSpeedRange(t *testing.T) {
	img := filepath.Join(t.TempDir(), "image.bin")
	if err := os.WriteFile(img, bytes.Repeat([]byte("copystation "), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		speed    string
		code     int
		contains string
	}{
		{"-3", 2, "--speed -3: give a write speed in BD 1x units, 1 or more"},
		{"0", 0, "writing at 16.0x"}, // unset: the drive's fastest
		{"99", 1, "--speed 99: the drive writes this disc at"},
		{"17", 1, "give --speed 1 to 16"},
		{"16", 0, "writing at 16.0x"},
		{"1", 0, "writing at 1.0x"},
	}
	for _, tc := range tests {
		t.Run(tc.speed, func(t *testing.T) {
			code, out, stderr := run(t, "write", "--device", "sim:", "--image", img, "--speed", tc.speed)
			if code != tc.code || !strings.Contains(stderr, tc.contains) {
				t.Errorf("write --speed %s = %d, %q; want %d and %q", tc.speed, code, stderr, tc.code, tc.contains)
			}
			if tc.code != 0 && strings.Contains(out, "wrote") {
				t.Errorf("write --speed %s wrote: %s", tc.speed, out)
			}
		})
	}
}

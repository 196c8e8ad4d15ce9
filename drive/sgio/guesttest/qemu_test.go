package guesttest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBootDeadline checks that a guest which never powers off is killed
// at the deadline and reported as ErrTimeout with what it printed, using
// a stand-in emulator that prints and then hangs.
func TestBootDeadline(t *testing.T) {
	dir := t.TempDir()
	hang := filepath.Join(dir, "qemu")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\necho booting\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	g := Guest{Kernel: &Kernel{Image: "vmlinuz"}, Initramfs: "initrd", Report: filepath.Join(dir, "report"), QEMU: hang}
	start := time.Now()
	out, err := Boot(ctx, g)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Boot(hanging guest) = %v, want %v", err, ErrTimeout)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("Boot returned after %v, want soon after the 300ms deadline", elapsed)
	}
	if out == nil || string(out.Console) != "booting\n" {
		t.Errorf("Boot console = %q, want %q", out.Console, "booting\n")
	}
}

func TestBootNoReport(t *testing.T) {
	g := Guest{Kernel: &Kernel{Image: "vmlinuz"}, QEMU: "/bin/true"}
	if _, err := Boot(context.Background(), g); err == nil {
		t.Error("Boot without a report file = nil error, want one")
	}
}

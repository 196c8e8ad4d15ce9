package guesttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoQEMU means qemu-system-x86_64 is not installed; the guest test skips on it.
var ErrNoQEMU = errors.New("guesttest: qemu-system-x86_64 not found (apt-get install qemu-system-x86)")

// ErrTimeout means the guest did not power off before its deadline and was killed.
var ErrTimeout = errors.New("guesttest: guest timed out")

// maxConsole bounds the console output kept from one boot.
const maxConsole = 1 << 20

// Disc is one scsi-cd on the guest's virtio-scsi bus.
type Disc struct {
	// Target is the SCSI target ID (scsi-id); LUN is always 0.
	Target int
	// Image is the raw image file in the tray; empty means no medium.
	Image string
}

// Guest describes one boot.
type Guest struct {
	Kernel    *Kernel
	Initramfs string
	Discs     []Disc
	// Report is the host file that receives the guest's second serial port (ttyS1).
	Report string
	// MemoryMiB defaults to 512.
	MemoryMiB int
	// Append is added to the kernel command line.
	Append string
	// QEMU is the emulator binary; empty means qemu-system-x86_64 from PATH.
	QEMU string
}

// Outcome is what one boot left behind.
type Outcome struct {
	Console []byte        // ttyS0: kernel messages and the init script's output
	Elapsed time.Duration // from start to exit
}

// QEMUPath finds qemu-system-x86_64.
func QEMUPath() (string, error) {
	p, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return "", ErrNoQEMU
	}
	return p, nil
}

// Args returns QEMU's command line for g: software emulation (KVM is not
// reliable under nested virtualisation), no network, no reboot (a panic or
// poweroff ends QEMU), the console on stdio and the report on a second
// 16550 UART backed by a file.
func (g Guest) Args() []string {
	mem := g.MemoryMiB
	if mem == 0 {
		mem = 512
	}
	// no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
	// check can time out and panic the boot ("IO-APIC + timer doesn't
	// work!"); the systemd guest hit it at load 33.
	cmdline := strings.TrimSpace("console=ttyS0 panic=-1 quiet no_timer_check " + g.Append)
	args := []string{
		"-accel", "tcg", "-cpu", "max", "-m", strconv.Itoa(mem),
		"-nographic", "-no-reboot", "-nic", "none",
		"-kernel", g.Kernel.Image, "-initrd", g.Initramfs, "-append", cmdline,
		// ttyS0 is stdio (as -nographic would make it); ttyS1 the report.
		"-serial", "mon:stdio",
		"-chardev", "file,id=report,path=" + strings.ReplaceAll(g.Report, ",", ",,"),
		"-serial", "chardev:report",
		"-device", "virtio-scsi-pci,id=scsi0",
	}
	for i, d := range g.Discs {
		drive := fmt.Sprintf("if=none,id=cd%d,media=cdrom", i)
		if d.Image != "" {
			drive += ",format=raw,readonly=on,file=" + strings.ReplaceAll(d.Image, ",", ",,")
		}
		args = append(args, "-drive", drive,
			"-device", fmt.Sprintf("scsi-cd,drive=cd%d,bus=scsi0.0,scsi-id=%d,lun=0", i, d.Target))
	}
	return args
}

// Boot runs the guest until it powers off, or kills it when ctx ends. A
// guest that is killed returns ErrTimeout with whatever it printed.
func Boot(ctx context.Context, g Guest) (*Outcome, error) {
	qemu := g.QEMU
	if qemu == "" {
		var err error
		if qemu, err = QEMUPath(); err != nil {
			return nil, err
		}
	}
	if g.Report == "" {
		return nil, errors.New("guesttest.Boot: no report file")
	}
	// QEMU's file chardev appends; start from an empty report.
	if err := os.WriteFile(g.Report, nil, 0o644); err != nil {
		return nil, fmt.Errorf("guesttest.Boot: %w", err)
	}
	var console limitedBuffer
	cmd := exec.CommandContext(ctx, qemu, g.Args()...)
	cmd.Stdout, cmd.Stderr = &console, &console
	cmd.WaitDelay = 2 * time.Second // never wait on stray pipe holders
	cmd.Dir = filepath.Dir(g.Report)
	start := time.Now()
	err := cmd.Run()
	out := &Outcome{Console: console.Bytes(), Elapsed: time.Since(start)}
	if ctx.Err() != nil {
		return out, fmt.Errorf("%w after %v: %v", ErrTimeout, out.Elapsed.Round(time.Millisecond), ctx.Err())
	}
	if err != nil {
		return out, fmt.Errorf("guesttest.Boot: qemu: %w", err)
	}
	return out, nil
}

// limitedBuffer keeps the first maxConsole bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxConsole - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

package guesttest

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"copystation/drive/sgio/guesttest/initramfs"
)

// GuestPackage is the import path of the program the guest runs.
const GuestPackage = "copystation/drive/sgio/guesttest/guest"

// BootModules are the modules the guest needs for a virtio-scsi CD drive
// seen through sr and sg; Kernel.Modules adds their dependencies
// (scsi_common, scsi_mod, cdrom, virtio, virtio_ring, the virtio-pci
// transports) in load order.
var BootModules = []string{"virtio_pci", "virtio_scsi", "sr_mod", "sg"}

// TCMUModules add the SCSI target core with its user-space backstore
// (target_core_user, over uio) and the loopback fabric (tcm_loop), which
// turn a user-space handler into a SCSI device of the guest.
var TCMUModules = []string{"configfs", "target_core_user", "tcm_loop"}

// ErrNoBusybox means no statically linked busybox was found.
var ErrNoBusybox = errors.New("guesttest: no static busybox (apt-get install busybox-static)")

// BuildGuest compiles the guest program as a static linux/amd64 binary into dir.
func BuildGuest(ctx context.Context, dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("guesttest.BuildGuest: %w", err)
	}
	out := filepath.Join(dir, "guest")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, GuestPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("guesttest.BuildGuest: go build %s: %w\n%s", GuestPackage, err, msg)
	}
	if err := openSourceDirs(ctx, goTool); err != nil {
		return "", err
	}
	return out, nil
}

// openSourceDirs opens the directory of every module package the guest is
// built from. go test caches a test's result keyed by the files the test
// itself opened; the guest is compiled by a child process, so without this
// an edit to the drive package would replay a stale cached pass.
func openSourceDirs(ctx context.Context, goTool string) error {
	cmd := exec.CommandContext(ctx, goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", GuestPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("guesttest.BuildGuest: go list %s: %w", GuestPackage, err)
	}
	for _, dir := range strings.Fields(string(out)) {
		if f, err := os.Open(dir); err == nil {
			f.Close()
		}
	}
	return nil
}

// BuildGuestTest compiles the guest package's tests (go test -c) as a
// static linux/amd64 binary into dir; the guest program runs it to put the
// SG_IO transport through the drive package's conformance suite.
func BuildGuestTest(ctx context.Context, dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("guesttest.BuildGuestTest: %w", err)
	}
	out := filepath.Join(dir, "guest.test")
	cmd := exec.CommandContext(ctx, goTool, "test", "-c", "-o", out, GuestPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("guesttest.BuildGuestTest: go test -c %s: %w\n%s", GuestPackage, err, msg)
	}
	return out, nil
}

// FindBusybox returns a statically linked busybox: the guest has no libc.
func FindBusybox() (string, error) {
	for _, p := range []string{os.Getenv("COPYSTATION_GUEST_BUSYBOX"), "/bin/busybox", "/usr/bin/busybox"} {
		if p == "" {
			continue
		}
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if static {
			return p, nil
		}
	}
	return "", ErrNoBusybox
}

// Initramfs is the content of the guest's root filesystem.
type Initramfs struct {
	Busybox   string   // path of a static busybox
	Guest     string   // path of the guest program, run as /guest
	GuestTest string   // optional: its test binary, put at /guest.test
	GuestArgs []string // its arguments
	Modules   []Module // loaded in this order by /init
	// Files are extra files (path in the guest -> content), e.g. an image
	// to burn.
	Files map[string][]byte
}

// InitScript is /init: mount the kernel file systems (devtmpfs makes
// /dev/sg* and /dev/sr* appear by themselves), load the modules, run the
// guest program, power off. A failure anywhere still powers off, so QEMU
// exits instead of waiting for its deadline.
func (r Initramfs) InitScript() string {
	var b strings.Builder
	b.WriteString("#!/bin/busybox sh\n")
	b.WriteString("bb=/bin/busybox\n")
	b.WriteString("$bb mount -t proc proc /proc\n$bb mount -t sysfs sysfs /sys\n")
	b.WriteString("$bb mount -t devtmpfs devtmpfs /dev\n$bb mount -t tmpfs tmpfs /tmp\n")
	for _, m := range r.Modules {
		fmt.Fprintf(&b, "$bb insmod /lib/modules/%s.ko || echo \"init: insmod %s failed\"\n", m.Name, m.Name)
	}
	b.WriteString("$bb mount -t configfs configfs /sys/kernel/config 2>/dev/null\n")
	b.WriteString("/guest")
	for _, a := range r.GuestArgs {
		b.WriteString(" '" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	b.WriteString("\necho \"init: guest exited with status $?\"\n")
	b.WriteString("$bb poweroff -f\n")
	return b.String()
}

// Write writes the archive to path.
func (r Initramfs) Write(path string) error {
	bb, err := os.ReadFile(r.Busybox)
	if err != nil {
		return fmt.Errorf("guesttest: initramfs: %w", err)
	}
	guest, err := os.ReadFile(r.Guest)
	if err != nil {
		return fmt.Errorf("guesttest: initramfs: %w", err)
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return fmt.Errorf("guesttest: initramfs: %w", err)
	}
	defer os.Remove(path + ".tmp")
	defer f.Close()
	w := bufio.NewWriter(f)
	a := initramfs.NewWriter(w)
	for _, d := range []string{"proc", "sys", "dev", "tmp"} {
		a.Dir(d, 0o755)
	}
	a.CharDevice("dev/console", 0o600, 5, 1)
	a.File("bin/busybox", 0o755, bb)
	a.Symlink("bin/sh", "busybox")
	a.File("init", 0o755, []byte(r.InitScript()))
	a.File("guest", 0o755, guest)
	if r.GuestTest != "" {
		test, err := os.ReadFile(r.GuestTest)
		if err != nil {
			return fmt.Errorf("guesttest: initramfs: %w", err)
		}
		a.File("guest.test", 0o755, test)
	}
	for _, m := range r.Modules {
		a.File("lib/modules/"+m.Name+".ko", 0o644, m.Data)
	}
	names := make([]string, 0, len(r.Files))
	for name := range r.Files {
		names = append(names, name)
	}
	sort.Strings(names) // a reproducible archive
	for _, name := range names {
		a.File(name, 0o644, r.Files[name])
	}
	// The writer's error is sticky: Close reports the first failure above.
	err = errors.Join(a.Close(), w.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("guesttest: initramfs: %w", err)
	}
	return os.Rename(path+".tmp", path)
}

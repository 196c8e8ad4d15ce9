package guesttest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"copystation/internal/testenv"
)

func TestFindKernelMissing(t *testing.T) {
	dir := t.TempDir()
	if _, err := FindKernel(dir); !errors.Is(err, ErrNoKernel) {
		t.Errorf("FindKernel(empty dir) = %v, want %v", err, ErrNoKernel)
	}
	// An image without its modules tree is not a usable kernel either.
	os.MkdirAll(filepath.Join(dir, "root", "boot"), 0o755)
	os.WriteFile(filepath.Join(dir, "root", "boot", "vmlinuz-9.9"), nil, 0o644)
	if _, err := FindKernel(dir); !errors.Is(err, ErrNoKernel) || !strings.Contains(err.Error(), "lib/modules/9.9") {
		t.Errorf("FindKernel(image without modules) = %v, want %v naming lib/modules/9.9", err, ErrNoKernel)
	}
}

// TestModulesOrder checks the load order computed from the real kernel's
// .modinfo against the order known to work: every dependency first.
func TestModulesOrder(t *testing.T) {
	k, err := FindKernel(KernelDir())
	if err != nil {
		testenv.Requiref(t, "no guest kernel for the SG_IO guest test (.ci/guest-kernel installs one): %v", err)
	}
	mods, err := k.Modules(BootModules...)
	if err != nil {
		t.Fatalf("Modules(%v) = %v", BootModules, err)
	}
	var names []string
	for _, m := range mods {
		names = append(names, m.Name)
		deps, err := moduleDepends(m.Data)
		if err != nil {
			t.Fatalf("moduleDepends(%s) = %v", m.Name, err)
		}
		for _, d := range deps {
			if !slices.Contains(names, d) {
				t.Errorf("%s is loaded before its dependency %s: order %v", m.Name, d, names)
			}
		}
	}
	for _, want := range []string{"scsi_common", "scsi_mod", "cdrom", "sr_mod", "sg", "virtio_ring", "virtio",
		"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_scsi"} {
		if !slices.Contains(names, want) {
			t.Errorf("Modules(%v) = %v, missing %s", BootModules, names, want)
		}
	}
	if _, err := k.Modules("no_such_module"); !errors.Is(err, ErrModule) {
		t.Errorf("Modules(no_such_module) = %v, want %v", err, ErrModule)
	}
}

func TestGuestArgs(t *testing.T) {
	g := Guest{Kernel: &Kernel{Image: "/k/vmlinuz"}, Initramfs: "/w/initrd", Report: "/w/a,b.jsonl",
		Discs: []Disc{{Target: 0, Image: "/w/disc.iso"}, {Target: 3}}}
	got := strings.Join(g.Args(), " ")
	for _, want := range []string{
		"-accel tcg -cpu max -m 512",
		"-no-reboot",
		"-kernel /k/vmlinuz -initrd /w/initrd -append console=ttyS0 panic=-1 quiet no_timer_check",
		"-serial mon:stdio -chardev file,id=report,path=/w/a,,b.jsonl -serial chardev:report",
		"-drive if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=/w/disc.iso -device scsi-cd,drive=cd0,bus=scsi0.0,scsi-id=0,lun=0",
		"-drive if=none,id=cd1,media=cdrom -device scsi-cd,drive=cd1,bus=scsi0.0,scsi-id=3,lun=0",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Args() = %q, want it to contain %q", got, want)
		}
	}
}

func TestInitScript(t *testing.T) {
	r := Initramfs{Modules: []Module{{Name: "scsi_mod"}, {Name: "sg"}}, GuestArgs: []string{"-devices", "2", "it's"}}
	s := r.InitScript()
	for _, want := range []string{
		"mount -t devtmpfs devtmpfs /dev",
		"insmod /lib/modules/scsi_mod.ko",
		"/guest '-devices' '2' 'it'\\''s'",
		"poweroff -f",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("InitScript() = %q, want it to contain %q", s, want)
		}
	}
	if strings.Index(s, "scsi_mod.ko") > strings.Index(s, "sg.ko") {
		t.Errorf("InitScript() loads sg before scsi_mod:\n%s", s)
	}
}

package guesttest

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// KernelDirEnv names the directory holding the unpacked guest kernel
// package; .ci/guest-kernel fills DefaultKernelDir.
const KernelDirEnv = "COPYSTATION_GUEST_KERNEL_DIR"

// DefaultKernelDir is where .ci/guest-kernel unpacks the kernel.
const DefaultKernelDir = "/var/cache/copystation-guest"

// ErrNoKernel means no usable kernel was found; the guest test skips on it.
var ErrNoKernel = errors.New("guesttest: no guest kernel")

// ErrModule means a kernel module is missing or unreadable.
var ErrModule = errors.New("guesttest: kernel module")

// Kernel is an unpacked Debian kernel package: a bootable image and its
// modules tree.
type Kernel struct {
	// Image is the path of vmlinuz.
	Image string
	// Release is the kernel release ("6.1.0-48-cloud-amd64").
	Release string
	// ModulesDir is lib/modules/<release>.
	ModulesDir string

	index map[string]string // module name -> path, built lazily
}

// KernelDir returns the directory named by KernelDirEnv, or DefaultKernelDir.
func KernelDir() string {
	if d := os.Getenv(KernelDirEnv); d != "" {
		return d
	}
	return DefaultKernelDir
}

// FindKernel looks in dir for an unpacked kernel package, either dir itself
// or dir/root (the layout .ci/guest-kernel writes).
func FindKernel(dir string) (*Kernel, error) {
	var tried []string
	for _, root := range []string{filepath.Join(dir, "root"), dir} {
		images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
		sort.Strings(images)
		for i := len(images) - 1; i >= 0; i-- {
			release := strings.TrimPrefix(filepath.Base(images[i]), "vmlinuz-")
			mods := filepath.Join(root, "lib", "modules", release)
			if st, err := os.Stat(mods); err == nil && st.IsDir() {
				return &Kernel{Image: images[i], Release: release, ModulesDir: mods}, nil
			}
			tried = append(tried, images[i]+" (no "+mods+")")
		}
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("%w: no boot/vmlinuz-* under %s; run .ci/guest-kernel or set %s", ErrNoKernel, dir, KernelDirEnv)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoKernel, strings.Join(tried, "; "))
}

// Module is one loadable module, decompressed.
type Module struct {
	Name string
	Data []byte
}

// Modules returns the named modules and everything they depend on, in an
// order the kernel can load them one by one (dependencies first). The
// dependencies come from each module's own .modinfo "depends=" entry, so no
// modules.dep (written by depmod at install time) is needed.
func (k *Kernel) Modules(names ...string) ([]Module, error) {
	var out []Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("%w: dependency cycle %s", ErrModule, strings.Join(append(chain, name), " -> "))
		case 2:
			return nil
		}
		state[name] = 1
		data, err := k.load(name)
		if err != nil {
			return err
		}
		deps, err := moduleDepends(data)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrModule, name, err)
		}
		for _, d := range deps {
			if err := visit(d, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, Module{Name: name, Data: data})
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// load finds a module by name (dashes and underscores are the same to the
// kernel) and returns its uncompressed ELF image.
func (k *Kernel) load(name string) ([]byte, error) {
	if k.index == nil {
		k.index = map[string]string{}
		err := filepath.WalkDir(filepath.Join(k.ModulesDir, "kernel"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			base := d.Name()
			if i := strings.Index(base, ".ko"); i > 0 {
				k.index[strings.ReplaceAll(base[:i], "-", "_")] = p
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: scanning %s: %v", ErrModule, k.ModulesDir, err)
		}
	}
	p, ok := k.index[strings.ReplaceAll(name, "-", "_")]
	if !ok {
		return nil, fmt.Errorf("%w: %s not found under %s (built in, or a different kernel flavour?)", ErrModule, name, k.ModulesDir)
	}
	switch {
	case strings.HasSuffix(p, ".ko"):
		return os.ReadFile(p)
	case strings.HasSuffix(p, ".ko.xz"):
		return decompress(p, "xz", "-dc")
	case strings.HasSuffix(p, ".ko.zst"):
		return decompress(p, "zstd", "-dcq")
	case strings.HasSuffix(p, ".ko.gz"):
		return decompress(p, "gzip", "-dc")
	}
	return nil, fmt.Errorf("%w: %s: unknown compression", ErrModule, p)
}

// decompress runs a decompressor; busybox insmod in the guest wants a plain
// ELF image, so compressed modules are expanded on the host.
func decompress(p, tool string, args ...string) ([]byte, error) {
	out, err := exec.Command(tool, append(args, p)...).Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v (install %s)", ErrModule, tool, p, err, tool)
	}
	return out, nil
}

// moduleDepends reads the "depends=" entry of a module's .modinfo section:
// NUL-separated key=value strings.
func moduleDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			if len(v) == 0 {
				return nil, nil
			}
			return strings.Split(string(v), ","), nil
		}
	}
	return nil, nil
}

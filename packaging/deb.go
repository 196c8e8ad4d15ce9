package packaging

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ErrSpec means a package description is incomplete or inconsistent.
var ErrSpec = errors.New("package spec")

// ErrBuild means dpkg-deb could not build the package.
var ErrBuild = errors.New("building package")

// Spec is one Debian binary package.
type Spec struct {
	Name, Version, Arch string
	Depends             []string
	Recommends          []string
	Description         string // first line is the synopsis
	Files               []File
	// Scripts maps a maintainer script's name (postinst, prerm, postrm) to
	// its text.
	Scripts map[string][]byte
}

// File is one file of the package: its contents and where it goes.
type File struct {
	Path string // absolute path on the installed system
	Data []byte
	Mode os.FileMode
}

// FileName is the package's file name as Debian spells it.
func (s Spec) FileName() string {
	return fmt.Sprintf("%s_%s_%s.deb", s.Name, s.Version, s.Arch)
}

func (s Spec) check() error {
	switch {
	case s.Name == "" || s.Version == "" || s.Arch == "":
		return fmt.Errorf("%w: name, version and architecture are required (got %q %q %q)", ErrSpec, s.Name, s.Version, s.Arch)
	case s.Version[0] < '0' || s.Version[0] > '9':
		return fmt.Errorf("%w: version %q must start with a digit (Debian policy 5.6.12)", ErrSpec, s.Version)
	case s.Description == "":
		return fmt.Errorf("%w: %s has no description", ErrSpec, s.Name)
	}
	seen := map[string]bool{}
	for _, f := range s.Files {
		if !filepath.IsAbs(f.Path) || filepath.Clean(f.Path) != f.Path {
			return fmt.Errorf("%w: %s: file path %q must be absolute and clean", ErrSpec, s.Name, f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("%w: %s: %s listed twice", ErrSpec, s.Name, f.Path)
		}
		seen[f.Path] = true
	}
	for name := range s.Scripts {
		switch name {
		case "preinst", "postinst", "prerm", "postrm":
		default:
			return fmt.Errorf("%w: %s: %q is not a maintainer script", ErrSpec, s.Name, name)
		}
	}
	return nil
}

// control is the DEBIAN/control text. Installed-Size is in KiB.
func (s Spec) control() []byte {
	var size int64
	for _, f := range s.Files {
		size += (int64(len(f.Data)) + 1023) / 1024
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Package: %s\nVersion: %s\nArchitecture: %s\n", s.Name, s.Version, s.Arch)
	b.WriteString("Maintainer: Copy station project <copystation@example.invalid>\n")
	fmt.Fprintf(&b, "Installed-Size: %d\nSection: admin\nPriority: optional\n", size)
	if len(s.Depends) > 0 {
		fmt.Fprintf(&b, "Depends: %s\n", strings.Join(s.Depends, ", "))
	}
	if len(s.Recommends) > 0 {
		fmt.Fprintf(&b, "Recommends: %s\n", strings.Join(s.Recommends, ", "))
	}
	syn, long, _ := strings.Cut(strings.TrimSpace(s.Description), "\n")
	fmt.Fprintf(&b, "Description: %s\n", syn)
	for _, l := range strings.Split(strings.TrimSpace(long), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			l = "."
		}
		if long != "" {
			fmt.Fprintf(&b, " %s\n", l)
		}
	}
	return b.Bytes()
}

// md5sums lists the files as dpkg --verify expects, sorted by path.
func (s Spec) md5sums() []byte {
	files := append([]File(nil), s.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "%x  %s\n", md5.Sum(f.Data), strings.TrimPrefix(f.Path, "/"))
	}
	return b.Bytes()
}

// Build writes the package into outDir and returns its path. Files are
// staged in a temporary directory and archived by dpkg-deb with
// --root-owner-group, so every file is root's whoever builds; gzip, not
// xz, because xz takes a minute per package on a busy two-core CI machine.
func Build(ctx context.Context, s Spec, outDir string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	stage, err := os.MkdirTemp("", "pkg-"+s.Name+"-")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	defer os.RemoveAll(stage)
	// MkdirTemp makes 0700; the archive's "./" entry is the target's /.
	if err := os.Chmod(stage, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	put := func(rel string, data []byte, mode os.FileMode) error {
		p := filepath.Join(stage, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			return err
		}
		return os.Chmod(p, mode) // WriteFile's mode is masked by the umask
	}
	for _, f := range s.Files {
		if err := put(f.Path, f.Data, f.Mode); err != nil {
			return "", fmt.Errorf("%w: staging %s: %v", ErrBuild, f.Path, err)
		}
	}
	if err := put("DEBIAN/control", s.control(), 0o644); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	if err := put("DEBIAN/md5sums", s.md5sums(), 0o644); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	for name, text := range s.Scripts {
		if err := put("DEBIAN/"+name, text, 0o755); err != nil {
			return "", fmt.Errorf("%w: %v", ErrBuild, err)
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	out := filepath.Join(outDir, s.FileName())
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--root-owner-group", "-Zgzip", "--build", stage, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: dpkg-deb --build %s: %v\n%s", ErrBuild, s.Name, err, msg)
	}
	return out, nil
}

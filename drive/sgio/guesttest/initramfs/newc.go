// Package initramfs writes the initial root filesystem of the SG_IO test
// guest: a cpio archive in the "newc" format the Linux kernel unpacks at boot.
package initramfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// File type bits of the cpio mode field (the st_mode values of
// <sys/stat.h>, which newc carries unchanged).
const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
	modeCharDev = 0o020000
)

// newcMagic opens every newc header (the kernel's init/initramfs.c accepts
// 070701, and 070702 with checksums).
const newcMagic = "070701"

// headerLen is the fixed header size: the magic and thirteen 8-digit hex fields.
const headerLen = 6 + 13*8

// trailerName marks the end of an archive.
const trailerName = "TRAILER!!!"

// ErrClosed is returned by every Writer method after Close.
var ErrClosed = errors.New("initramfs: archive already closed")

// ErrBadName is returned for a path the kernel could not unpack.
var ErrBadName = errors.New("initramfs: bad path")

// Writer writes a newc archive. It creates missing parent directories
// itself, because the kernel's unpacker does not. The first error sticks:
// every later call returns it.
type Writer struct {
	w      io.Writer
	ino    uint32
	dirs   map[string]bool
	err    error
	closed bool
}

// NewWriter returns a Writer that writes the archive to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, ino: 1, dirs: map[string]bool{".": true}}
}

// Dir adds a directory (and any missing parents).
func (a *Writer) Dir(name string, perm fs.FileMode) error {
	name, err := a.prepare(name)
	if err != nil || a.dirs[name] {
		return err
	}
	a.dirs[name] = true
	return a.entry(name, modeDir|uint32(perm.Perm()), 2, 0, 0, nil)
}

// File adds a regular file with the given contents.
func (a *Writer) File(name string, perm fs.FileMode, data []byte) error {
	name, err := a.prepare(name)
	if err != nil {
		return err
	}
	return a.entry(name, modeRegular|uint32(perm.Perm()), 1, 0, 0, data)
}

// Symlink adds a symbolic link name pointing at target.
func (a *Writer) Symlink(name, target string) error {
	name, err := a.prepare(name)
	if err != nil {
		return err
	}
	return a.entry(name, modeSymlink|0o777, 1, 0, 0, []byte(target))
}

// CharDevice adds a character device node, such as /dev/console (5, 1),
// which the kernel opens for init before any devtmpfs is mounted.
func (a *Writer) CharDevice(name string, perm fs.FileMode, major, minor uint32) error {
	name, err := a.prepare(name)
	if err != nil {
		return err
	}
	return a.entry(name, modeCharDev|uint32(perm.Perm()), 1, major, minor, nil)
}

// Close writes the trailer. It does not close the underlying writer.
func (a *Writer) Close() error {
	if a.closed {
		return a.err
	}
	if a.err == nil {
		a.err = a.entry(trailerName, 0, 1, 0, 0, nil)
	}
	a.closed = true
	return a.err
}

// prepare cleans name to the archive's relative form and adds its parents.
func (a *Writer) prepare(name string) (string, error) {
	if a.closed {
		return "", ErrClosed
	}
	if a.err != nil {
		return "", a.err
	}
	clean := strings.TrimPrefix(path.Clean("/"+name), "/")
	if clean == "" || strings.ContainsRune(name, 0) || clean == trailerName {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	if parent := path.Dir(clean); !a.dirs[parent] {
		if err := a.Dir(parent, 0o755); err != nil {
			return "", err
		}
	}
	return clean, nil
}

// entry writes one header, its name and its data, each padded to 4 bytes.
func (a *Writer) entry(name string, mode, nlink, rmajor, rminor uint32, data []byte) error {
	if uint64(len(data)) > 0xFFFFFFFF {
		a.err = fmt.Errorf("initramfs: %s: %d bytes is too large for newc", name, len(data))
		return a.err
	}
	ino := a.ino
	if name == trailerName {
		ino = 0
	}
	a.ino++
	hdr := Header(ino, mode, nlink, uint32(len(data)), rmajor, rminor, len(name)+1)
	var buf []byte
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, err := a.w.Write(buf); err != nil {
		a.err = fmt.Errorf("initramfs: write %s: %w", name, err)
		return a.err
	}
	if len(data) > 0 {
		if _, err := a.w.Write(data); err != nil {
			a.err = fmt.Errorf("initramfs: write %s: %w", name, err)
			return a.err
		}
		if n := len(data) % 4; n != 0 {
			if _, err := a.w.Write(make([]byte, 4-n)); err != nil {
				a.err = fmt.Errorf("initramfs: write %s: %w", name, err)
				return a.err
			}
		}
	}
	return nil
}

// Header formats one newc header: the magic, then inode, mode, uid, gid,
// nlink, mtime, file size, device major and minor, rdev major and minor,
// name size (with its NUL) and checksum, each as 8 upper-case hex digits.
// Owner, times and the containing device are zero: the archive is
// reproducible and everything in the guest belongs to root.
func Header(ino, mode, nlink, size, rmajor, rminor uint32, nameSize int) []byte {
	fields := [13]uint32{ino, mode, 0, 0, nlink, 0, size, 0, 0, rmajor, rminor, uint32(nameSize), 0}
	b := make([]byte, 0, headerLen)
	b = append(b, newcMagic...)
	for _, f := range fields {
		b = fmt.Appendf(b, "%08X", f)
	}
	return b
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

package drivecli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrBadSysfs: a sysfs attribute does not hold what the kernel writes there.
var ErrBadSysfs = errors.New("drivecli: unexpected sysfs contents")

// TypeMMC is the SCSI peripheral device type of an optical drive (SPC-4
// table 49: 05h, CD/DVD/BD device), as sysfs `device/type` shows it.
const TypeMMC = 5

// Found is one optical drive found in sysfs.
type Found struct {
	SG    string // /dev/sgN; "" when the sg driver does not list the drive
	Block string // /dev/srN; "" when no block driver claimed it
	// Path is what to open: SG, or Block when there is no sg node (SG_IO
	// works on /dev/sr* too).
	Path string
	// Err says why sysfs could not be read for this device; Path is still
	// set so the caller can report it.
	Err error
}

// Enumerate finds the optical drives (peripheral type 5) of the machine
// whose root file system is root ("/" on a real machine): every
// root/sys/class/scsi_generic/sgN whose device/type is 5, with the srM of
// its device/block directory, then every root/sys/class/block/srM of type
// 5 that no sg node covers. Device paths are under root/dev. A machine
// without sysfs classes yields no drives and no error.
func Enumerate(root string) ([]Found, error) {
	sys, dev := filepath.Join(root, "sys", "class"), filepath.Join(root, "dev")
	var found []Found
	covered := map[string]bool{}
	sgs, err := devices(filepath.Join(sys, "scsi_generic"), "sg")
	if err != nil {
		return nil, err
	}
	for _, sg := range sgs {
		devDir := filepath.Join(sys, "scsi_generic", sg, "device")
		f := Found{SG: filepath.Join(dev, sg)}
		f.Path = f.SG
		typ, err := readType(devDir)
		if err != nil {
			f.Err = err
			found = append(found, f)
			continue
		}
		if typ != TypeMMC {
			continue
		}
		if sr := blockName(devDir); sr != "" {
			f.Block = filepath.Join(dev, sr)
			covered[sr] = true
		}
		found = append(found, f)
	}
	srs, err := devices(filepath.Join(sys, "block"), "sr")
	if err != nil {
		return nil, err
	}
	for _, sr := range srs {
		if covered[sr] {
			continue
		}
		f := Found{Block: filepath.Join(dev, sr)}
		f.Path = f.Block
		typ, err := readType(filepath.Join(sys, "block", sr, "device"))
		if err != nil {
			f.Err = err
		} else if typ != TypeMMC {
			continue
		}
		found = append(found, f)
	}
	return found, nil
}

// devices lists the entries of a sysfs class directory named prefix
// followed by a number, in numeric order. A missing directory is empty.
func devices(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("drivecli.Enumerate: %w", err)
	}
	type numbered struct {
		name string
		n    int
	}
	var ds []numbered
	for _, e := range entries {
		if n, ok := deviceNumber(e.Name(), prefix); ok {
			ds = append(ds, numbered{e.Name(), n})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].n < ds[j].n })
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.name
	}
	return names, nil
}

// deviceNumber parses "sg12" (prefix "sg") as 12.
func deviceNumber(name, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok || digits == "" || len(digits) > 6 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// readType reads and parses devDir/type.
func readType(devDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(devDir, "type"))
	if err != nil {
		return 0, fmt.Errorf("drivecli.Enumerate: read the SCSI device type: %w", err)
	}
	typ, err := ParseSCSIType(b)
	if err != nil {
		return 0, fmt.Errorf("drivecli.Enumerate: %s: %w", filepath.Join(devDir, "type"), err)
	}
	return typ, nil
}

// ParseSCSIType parses a sysfs `type` attribute: the peripheral device
// type as a decimal number and a newline (drivers/scsi/scsi_sysfs.c
// writes "%d\n"). It is 5 bits wide, so 0 to 31.
func ParseSCSIType(b []byte) (int, error) {
	s := string(bytes.TrimSpace(b))
	if s == "" || len(s) > 2 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: type %q, want a decimal peripheral device type 0 to 31", ErrBadSysfs, b)
	}
	n, _ := strconv.Atoi(s) // at most two digits: cannot fail
	if n > 31 {
		return 0, fmt.Errorf("%w: type %d, want 0 to 31", ErrBadSysfs, n)
	}
	return n, nil
}

// blockName is the block device (srM) of a SCSI device directory: an
// entry of its block/ directory, or a "block:srM" link on old kernels.
func blockName(devDir string) string {
	if entries, err := os.ReadDir(filepath.Join(devDir, "block")); err == nil {
		for _, e := range entries {
			if _, ok := deviceNumber(e.Name(), "sr"); ok {
				return e.Name()
			}
		}
	}
	entries, err := os.ReadDir(devDir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if sr, ok := strings.CutPrefix(e.Name(), "block:"); ok {
			if _, ok := deviceNumber(sr, "sr"); ok {
				return sr
			}
		}
	}
	return ""
}

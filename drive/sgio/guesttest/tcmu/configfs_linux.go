package tcmu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ConfigFS is where the kernel's target configuration lives.
const ConfigFS = "/sys/kernel/config/target"

// ErrNoUIO means the backstore was created but no uio device appeared.
var ErrNoUIO = errors.New("tcmu: no uio device for the backstore")

// Backstore is one TCMU user-backed device in the target core.
type Backstore struct {
	Name    string
	Dir     string // its configfs directory
	UIO     string // /dev/uioN
	MapSize int    // bytes to mmap
}

// CreateBackstore makes a TCMU device of size bytes under HBA user_0 and
// enables it, which makes the kernel create its uio device.
func CreateBackstore(name string, size int64) (*Backstore, error) {
	dir := filepath.Join(ConfigFS, "core", "user_0", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tcmu.CreateBackstore: %w (is configfs mounted and target_core_user loaded?)", err)
	}
	ctl := fmt.Sprintf("dev_config=copystation/%s,dev_size=%d,hw_block_size=2048", name, size)
	if err := write(filepath.Join(dir, "control"), ctl); err != nil {
		return nil, err
	}
	if err := write(filepath.Join(dir, "enable"), "1"); err != nil {
		return nil, err
	}
	b := &Backstore{Name: name, Dir: dir}
	want := "tcm-user/0/" + name + "/"
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		names, _ := filepath.Glob("/sys/class/uio/uio*/name")
		for _, n := range names {
			v, err := os.ReadFile(n)
			if err != nil || !strings.HasPrefix(string(v), want) {
				continue
			}
			uio := filepath.Dir(n)
			sz, err := os.ReadFile(filepath.Join(uio, "maps", "map0", "size"))
			if err != nil {
				return nil, fmt.Errorf("tcmu.CreateBackstore: %w", err)
			}
			size, err := strconv.ParseInt(strings.TrimSpace(string(sz)), 0, 64)
			if err != nil {
				return nil, fmt.Errorf("tcmu.CreateBackstore: map size %q: %w", sz, err)
			}
			b.UIO, b.MapSize = "/dev/"+filepath.Base(uio), int(size)
			return b, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoUIO, name)
}

// LoopTarget is a tcm_loop target portal group with its nexus: a SCSI
// host of the kernel whose LUNs are backstores.
type LoopTarget struct {
	Dir string // .../loopback/<wwn>/tpgt_1
}

// NewLoopTarget creates the target portal group and its nexus (the
// initiator port the kernel's SCSI host uses). The kernel adds the host at
// once; LUNs appear as they are linked.
func NewLoopTarget(wwn, initiator string) (*LoopTarget, error) {
	tpg := filepath.Join(ConfigFS, "loopback", wwn, "tpgt_1")
	if err := os.MkdirAll(tpg, 0o755); err != nil {
		return nil, fmt.Errorf("tcmu.NewLoopTarget: %w (is tcm_loop loaded?)", err)
	}
	if err := write(filepath.Join(tpg, "nexus"), initiator); err != nil {
		return nil, err
	}
	return &LoopTarget{Dir: tpg}, nil
}

// Link exposes b as LUN lun. The kernel scans the new LUN before the call
// returns, and the scan's INQUIRY goes to the backstore's handler, so Serve
// must already be running.
func (l *LoopTarget) Link(lun int, b *Backstore) error {
	dir := filepath.Join(l.Dir, "lun", "lun_"+strconv.Itoa(lun))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tcmu.Link: %w", err)
	}
	if err := os.Symlink(b.Dir, filepath.Join(dir, b.Name)); err != nil {
		return fmt.Errorf("tcmu.Link: LUN %d: %w", lun, err)
	}
	return nil
}

func write(path, v string) error {
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		return fmt.Errorf("tcmu: write %q to %s: %w", v, path, err)
	}
	return nil
}

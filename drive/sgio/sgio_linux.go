package sgio

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"copystation/drive"
)

// Device is an open SCSI generic or CD-ROM device node.
type Device struct {
	mu sync.Mutex
	f  *os.File
	// sys issues one ioctl; nil means the real system call on f. Tests
	// put a stand-in kernel here to run the whole path up to the call.
	sys func(req uintptr, arg unsafe.Pointer) error
}

var _ drive.TransportCloser = (*Device)(nil)

// Open opens path (/dev/sgN or /dev/srN) for SG_IO. The node is opened
// non-blocking so that a drive without a disc can be opened at all, and is
// checked with SG_GET_VERSION_NUM so that a wrong path fails here, clearly.
func Open(path string) (*Device, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("sgio.Open: %w (does the user have read-write access, e.g. the cdrom group?)", err)
	}
	var version int32
	if err := ioctl(f, sgGetVersionNum, unsafe.Pointer(&version)); err != nil {
		f.Close()
		return nil, fmt.Errorf("sgio.Open: %s: %w: %w", path, ErrNotSCSI, err)
	}
	return &Device{f: f}, nil
}

// NewDevice wraps an already open file without checking it; Do fails on a
// file that is not a SCSI device.
func NewDevice(f *os.File) *Device { return &Device{f: f} }

// Close closes the device node.
func (d *Device) Close() error {
	if d.f == nil {
		return nil
	}
	return d.f.Close()
}

// Do runs one command block through SG_IO.
func (d *Device) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	op := "SG_IO"
	if len(cdb) > 0 {
		op = fmt.Sprintf("SG_IO opcode 0x%02X", cdb[0])
	}
	sense := make([]byte, senseSize)
	h, err := newHeader(cdb, dir, buf, sense, timeout)
	if err != nil {
		return drive.Result{}, err
	}
	// The kernel reads and writes these through the header's pointers.
	var pin runtime.Pinner
	pin.Pin(h)
	pin.Pin(&cdb[0])
	pin.Pin(&sense[0])
	if len(buf) > 0 {
		pin.Pin(&buf[0])
	}
	defer pin.Unpin()
	d.mu.Lock()
	if d.sys != nil {
		err = d.sys(sgIO, unsafe.Pointer(h))
	} else {
		err = ioctl(d.f, sgIO, unsafe.Pointer(h))
	}
	d.mu.Unlock()
	if err != nil {
		if errors.Is(err, unix.ENOTTY) {
			return drive.Result{}, fmt.Errorf("sgio: %s: %w: %w", op, ErrNotSCSI, err)
		}
		return drive.Result{}, fmt.Errorf("sgio: %s: ioctl: %w: %w", op, err, drive.ErrTransport)
	}
	return h.result(op, sense)
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if cerr := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); cerr != nil {
		return cerr
	}
	if errno != 0 {
		return errno
	}
	return nil
}

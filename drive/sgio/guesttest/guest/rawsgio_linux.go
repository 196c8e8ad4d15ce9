package main

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"copystation/drive"
)

// rawSGIO is a minimal SG_IO transport used until the drive package's own
// (drive/sgio) exists; it proves the boot path only.
type rawSGIO struct{ fd int }

// sgIOHdr mirrors struct sg_io_hdr of <scsi/sg.h> on amd64 (88 bytes).
type sgIOHdr struct {
	interfaceID    int32
	dxferDirection int32
	cmdLen         uint8
	mxSbLen        uint8
	iovecCount     uint16
	dxferLen       uint32
	dxferp         uintptr
	cmdp           uintptr
	sbp            uintptr
	timeout        uint32
	flags          uint32
	packID         int32
	usrPtr         uintptr
	status         uint8
	maskedStatus   uint8
	msgStatus      uint8
	sbLenWr        uint8
	hostStatus     uint16
	driverStatus   uint16
	resid          int32
	duration       uint32
	info           uint32
}

const sgIO = 0x2285

func (r *rawSGIO) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	sense := make([]byte, 64)
	h := sgIOHdr{interfaceID: 'S', cmdLen: uint8(len(cdb)), mxSbLen: uint8(len(sense)),
		cmdp: uintptr(unsafe.Pointer(&cdb[0])), sbp: uintptr(unsafe.Pointer(&sense[0])),
		timeout: uint32(timeout.Milliseconds()), dxferDirection: -1}
	if len(buf) > 0 {
		h.dxferLen = uint32(len(buf))
		h.dxferp = uintptr(unsafe.Pointer(&buf[0]))
		h.dxferDirection = -3
		if dir == drive.DirOut {
			h.dxferDirection = -2
		}
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(r.fd), sgIO, uintptr(unsafe.Pointer(&h))); e != 0 {
		return drive.Result{}, fmt.Errorf("SG_IO: %w", e)
	}
	runtime.KeepAlive(cdb)
	runtime.KeepAlive(buf)
	runtime.KeepAlive(sense)
	if h.hostStatus != 0 || h.driverStatus&^0x08 != 0 {
		return drive.Result{}, errors.New(fmt.Sprintf("SG_IO: host status %#x driver status %#x", h.hostStatus, h.driverStatus))
	}
	res := drive.Result{Status: drive.Status(h.status), Transferred: len(buf) - int(h.resid)}
	if h.sbLenWr > 0 {
		res.Sense = sense[:h.sbLenWr]
	}
	return res, nil
}

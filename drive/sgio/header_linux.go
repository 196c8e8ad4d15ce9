package sgio

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	"copystation/drive"
)

// sgIOHdr mirrors struct sg_io_hdr from include/scsi/sg.h. Offsets on
// 64-bit Linux (pahole), 32-bit in brackets:
//
//	 0 [ 0]  int interface_id        'S'
//	 4 [ 4]  int dxfer_direction     SG_DXFER_*
//	 8 [ 8]  u8  cmd_len
//	 9 [ 9]  u8  mx_sb_len           sense buffer size
//	10 [10]  u16 iovec_count         0: dxferp is a flat buffer
//	12 [12]  u32 dxfer_len
//	16 [16]  ptr dxferp
//	24 [20]  ptr cmdp
//	32 [24]  ptr sbp
//	40 [28]  u32 timeout             milliseconds
//	44 [32]  u32 flags
//	48 [36]  int pack_id
//	   (4 bytes of padding on 64-bit)
//	56 [40]  ptr usr_ptr
//	64 [44]  u8  status              SCSI status
//	65 [45]  u8  masked_status
//	66 [46]  u8  msg_status
//	67 [47]  u8  sb_len_wr           sense bytes written
//	68 [48]  u16 host_status
//	70 [50]  u16 driver_status
//	72 [52]  int resid               dxfer_len minus bytes moved
//	76 [56]  u32 duration            milliseconds
//	80 [60]  u32 info                SG_INFO_*
//	size 88 [64]
type sgIOHdr struct {
	interfaceID    int32
	dxferDirection int32
	cmdLen         uint8
	mxSbLen        uint8
	iovecCount     uint16
	dxferLen       uint32
	dxferp         unsafe.Pointer
	cmdp           unsafe.Pointer
	sbp            unsafe.Pointer
	timeout        uint32
	flags          uint32
	packID         int32
	usrPtr         unsafe.Pointer
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

// Constants from include/scsi/sg.h.
const (
	sgIO            = 0x2285
	sgGetVersionNum = 0x2282
	sgDxferNone     = -1
	sgDxferToDev    = -2
	sgDxferFromDev  = -3
	senseSize       = 252 // SPC-4 maximum
	maxTransfer     = 1 << 24
)

// newHeader fills a header for one command. cdb, buf and sense must stay
// pinned until the ioctl returns.
func newHeader(cdb []byte, dir drive.Direction, buf, sense []byte, timeout time.Duration) (*sgIOHdr, error) {
	if len(cdb) == 0 || len(cdb) > 16 {
		return nil, fmt.Errorf("sgio: CDB of %d bytes, want 1 to 16: %w", len(cdb), drive.ErrIllegalRequest)
	}
	if len(buf) > maxTransfer {
		return nil, fmt.Errorf("sgio: transfer of %d bytes exceeds %d: %w", len(buf), maxTransfer, drive.ErrIllegalRequest)
	}
	h := &sgIOHdr{
		interfaceID: 'S',
		cmdLen:      uint8(len(cdb)),
		cmdp:        unsafe.Pointer(&cdb[0]),
		mxSbLen:     uint8(len(sense)),
		timeout:     uint32(min(max(timeout.Milliseconds(), 1), math.MaxUint32)),
	}
	if len(sense) > 0 {
		h.sbp = unsafe.Pointer(&sense[0])
	}
	switch dir {
	case drive.DirNone:
		h.dxferDirection = sgDxferNone
	case drive.DirIn, drive.DirOut:
		h.dxferDirection = sgDxferFromDev
		if dir == drive.DirOut {
			h.dxferDirection = sgDxferToDev
		}
		if len(buf) > 0 {
			h.dxferLen = uint32(len(buf))
			h.dxferp = unsafe.Pointer(&buf[0])
		}
	default:
		return nil, fmt.Errorf("sgio: direction %d: %w", dir, drive.ErrIllegalRequest)
	}
	if dir == drive.DirNone && len(buf) > 0 {
		return nil, fmt.Errorf("sgio: %d-byte buffer without a data direction: %w", len(buf), drive.ErrIllegalRequest)
	}
	return h, nil
}

// result turns a completed header into a Result or a typed error.
func (h *sgIOHdr) result(op string, sense []byte) (drive.Result, error) {
	res := drive.Result{Status: drive.Status(h.status), Transferred: int(h.dxferLen) - int(max(h.resid, 0))}
	if res.Transferred < 0 {
		res.Transferred = 0
	}
	if h.sbLenWr > 0 {
		res.Sense = append([]byte(nil), sense[:min(int(h.sbLenWr), len(sense))]...)
	}
	if HostStatus(h.hostStatus) != HostOK {
		return res, &HostFailure{Op: op, Status: HostStatus(h.hostStatus)}
	}
	if c := DriverStatus(h.driverStatus).Code(); c != DriverOK && c != DriverSense {
		return res, &DriverFailure{Op: op, Status: DriverStatus(h.driverStatus)}
	}
	return res, nil
}

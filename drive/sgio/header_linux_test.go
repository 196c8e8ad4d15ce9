package sgio

import (
	"errors"
	"os"
	"testing"
	"time"
	"unsafe"

	"copystation/drive"
	"copystation/internal/testenv"
)

func TestHeaderLayout(t *testing.T) {
	var h sgIOHdr
	ptr := unsafe.Sizeof(uintptr(0))
	want64 := map[string][2]uintptr{ // field: {64-bit offset, 32-bit offset}
		"dxfer_direction": {4, 4}, "cmd_len": {8, 8}, "mx_sb_len": {9, 9}, "iovec_count": {10, 10}, "dxfer_len": {12, 12},
		"dxferp": {16, 16}, "cmdp": {24, 20}, "sbp": {32, 24}, "timeout": {40, 28}, "flags": {44, 32}, "pack_id": {48, 36},
		"usr_ptr": {56, 40}, "status": {64, 44}, "masked_status": {65, 45}, "msg_status": {66, 46}, "sb_len_wr": {67, 47},
		"host_status": {68, 48}, "driver_status": {70, 50}, "resid": {72, 52}, "duration": {76, 56}, "info": {80, 60},
	}
	got := map[string]uintptr{
		"dxfer_direction": unsafe.Offsetof(h.dxferDirection), "cmd_len": unsafe.Offsetof(h.cmdLen), "mx_sb_len": unsafe.Offsetof(h.mxSbLen),
		"iovec_count": unsafe.Offsetof(h.iovecCount), "dxfer_len": unsafe.Offsetof(h.dxferLen), "dxferp": unsafe.Offsetof(h.dxferp),
		"cmdp": unsafe.Offsetof(h.cmdp), "sbp": unsafe.Offsetof(h.sbp), "timeout": unsafe.Offsetof(h.timeout), "flags": unsafe.Offsetof(h.flags),
		"pack_id": unsafe.Offsetof(h.packID), "usr_ptr": unsafe.Offsetof(h.usrPtr), "status": unsafe.Offsetof(h.status),
		"masked_status": unsafe.Offsetof(h.maskedStatus), "msg_status": unsafe.Offsetof(h.msgStatus), "sb_len_wr": unsafe.Offsetof(h.sbLenWr),
		"host_status": unsafe.Offsetof(h.hostStatus), "driver_status": unsafe.Offsetof(h.driverStatus), "resid": unsafe.Offsetof(h.resid),
		"duration": unsafe.Offsetof(h.duration), "info": unsafe.Offsetof(h.info),
	}
	idx, size := 0, uintptr(88)
	if ptr == 4 {
		idx, size = 1, 64
	}
	if s := unsafe.Sizeof(h); s != size {
		t.Errorf("unsafe.Sizeof(sgIOHdr) = %d, want %d", s, size)
	}
	for name, w := range want64 {
		if got[name] != w[idx] {
			t.Errorf("offsetof(%s) = %d, want %d", name, got[name], w[idx])
		}
	}
}

func TestNewHeader(t *testing.T) {
	cdb := drive.Write12{LBA: 64, Blocks: 1}.CDB()
	buf := make([]byte, 2048)
	sense := make([]byte, senseSize)
	tests := []struct {
		name    string
		dir     drive.Direction
		buf     []byte
		wantDir int32
		wantLen uint32
	}{
		{"none", drive.DirNone, nil, sgDxferNone, 0},
		{"in", drive.DirIn, buf, sgDxferFromDev, 2048},
		{"out", drive.DirOut, buf, sgDxferToDev, 2048},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := newHeader(cdb, tc.dir, tc.buf, sense, 90*time.Second)
			if err != nil {
				t.Fatalf("newHeader() = %v", err)
			}
			if h.interfaceID != 'S' || h.dxferDirection != tc.wantDir || h.dxferLen != tc.wantLen || h.cmdLen != 12 ||
				h.mxSbLen != senseSize || h.timeout != 90000 || h.cmdp != unsafe.Pointer(&cdb[0]) || h.sbp != unsafe.Pointer(&sense[0]) {
				t.Errorf("newHeader(%s) = %+v", tc.name, h)
			}
			if tc.buf != nil && h.dxferp != unsafe.Pointer(&buf[0]) {
				t.Errorf("newHeader(%s).dxferp does not point at the buffer", tc.name)
			}
		})
	}
	for _, bad := range []struct {
		name string
		cdb  []byte
		dir  drive.Direction
		buf  []byte
	}{{"empty CDB", nil, drive.DirNone, nil}, {"17-byte CDB", make([]byte, 17), drive.DirNone, nil},
		{"buffer without direction", cdb, drive.DirNone, buf}, {"bad direction", cdb, 9, nil}} {
		if _, err := newHeader(bad.cdb, bad.dir, bad.buf, sense, time.Second); !errors.Is(err, drive.ErrIllegalRequest) {
			t.Errorf("newHeader(%s) = %v, want %v", bad.name, err, drive.ErrIllegalRequest)
		}
	}
}

func TestResult(t *testing.T) {
	sense := make([]byte, senseSize)
	copy(sense, []byte{0x70, 0, 2, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3a, 0})
	tests := []struct {
		name string
		h    sgIOHdr
		want error
		res  drive.Result
	}{
		{name: "good, short read", h: sgIOHdr{dxferLen: 4096, resid: 2048}, res: drive.Result{Transferred: 2048}},
		{name: "check condition with sense", h: sgIOHdr{status: 2, sbLenWr: 14, driverStatus: uint16(DriverSense)},
			res: drive.Result{Status: 2, Sense: sense[:14]}},
		{name: "host timeout", h: sgIOHdr{hostStatus: uint16(HostTimeOut)}, want: drive.ErrTimeout},
		{name: "host no connect", h: sgIOHdr{hostStatus: uint16(HostNoConnect)}, want: drive.ErrTransport},
		{name: "driver timeout with suggestion", h: sgIOHdr{driverStatus: 0x16}, want: drive.ErrTimeout},
		{name: "driver error", h: sgIOHdr{driverStatus: uint16(DriverError)}, want: drive.ErrTransport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.h.result("SG_IO", sense)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("result() error = %v, want %v", err, tc.want)
			}
			if tc.want == nil && (res.Status != tc.res.Status || res.Transferred != tc.res.Transferred || string(res.Sense) != string(tc.res.Sense)) {
				t.Errorf("result() = %+v, want %+v", res, tc.res)
			}
		})
	}
	var hf *HostFailure
	_, err := (&sgIOHdr{hostStatus: uint16(HostReset)}).result("SG_IO", sense)
	if !errors.As(err, &hf) || hf.Status != HostReset || err.Error() != "sgio: SG_IO: host adapter reported DID_RESET" {
		t.Errorf("result(DID_RESET) = %v, want a *HostFailure naming DID_RESET", err)
	}
}

// TestNotSCSI runs the real ioctl against a file that is not a SCSI
// device: Open refuses it, and Do on a wrapped file reports ErrNotSCSI.
func TestNotSCSI(t *testing.T) {
	if _, err := Open("/dev/null"); !errors.Is(err, ErrNotSCSI) {
		t.Errorf("Open(/dev/null) = %v, want %v", err, ErrNotSCSI)
	}
	if _, err := Open("/nonexistent/sg0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(/nonexistent/sg0) = %v, want %v", err, os.ErrNotExist)
	}
	f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		testenv.Requiref(t, "no /dev/null: %v", err)
	}
	d := NewDevice(f)
	defer d.Close()
	buf := make([]byte, 96)
	if _, err := d.Do(drive.Inquiry{}.CDB(), drive.DirIn, buf, time.Second); !errors.Is(err, ErrNotSCSI) {
		t.Errorf("Do(INQUIRY) on /dev/null = %v, want %v", err, ErrNotSCSI)
	}
}

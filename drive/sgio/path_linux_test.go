package sgio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// simKernel plays the kernel's part of SG_IO on top of the simulator: it
// reads the header exactly as the sg driver does (command block, direction,
// buffer and sense pointers, timeout), runs the command, and writes back
// status, sense, sb_len_wr, resid and host/driver status.
func simKernel(sim drive.Transport) func(req uintptr, arg unsafe.Pointer) error {
	return func(req uintptr, arg unsafe.Pointer) error {
		if req != sgIO {
			return fmt.Errorf("ioctl 0x%X: not SG_IO", req)
		}
		h := (*sgIOHdr)(arg)
		if h.interfaceID != 'S' || h.cmdp == nil || h.cmdLen == 0 {
			return errors.New("EINVAL")
		}
		cdb := unsafe.Slice((*byte)(h.cmdp), h.cmdLen)
		var buf []byte
		if h.dxferLen > 0 {
			buf = unsafe.Slice((*byte)(h.dxferp), h.dxferLen)
		}
		dir := map[int32]drive.Direction{sgDxferNone: drive.DirNone, sgDxferFromDev: drive.DirIn, sgDxferToDev: drive.DirOut}[h.dxferDirection]
		res, err := sim.Do(cdb, dir, buf, time.Duration(h.timeout)*time.Millisecond)
		switch {
		case errors.Is(err, drive.ErrTimeout):
			h.hostStatus = uint16(HostTimeOut)
			return nil
		case err != nil:
			h.hostStatus = uint16(HostError)
			return nil
		}
		h.status = uint8(res.Status)
		h.resid = int32(int(h.dxferLen) - res.Transferred)
		if len(res.Sense) > 0 {
			n := copy(unsafe.Slice((*byte)(h.sbp), h.mxSbLen), res.Sense)
			h.sbLenWr, h.driverStatus = uint8(n), uint16(DriverSense)
		}
		return nil
	}
}

func simDevice(t *testing.T, opts drivesim.Options) (*Device, *drivesim.Drive) {
	t.Helper()
	opts.Dir = t.TempDir()
	sim, err := drivesim.New(opts)
	if err != nil {
		t.Fatalf("drivesim.New() = %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	return &Device{sys: simKernel(sim)}, sim
}

// TestBDRThroughSGIOPath writes, closes, finalises and reads back a BD-R
// through the SG_IO code path up to the system call.
func TestBDRThroughSGIOPath(t *testing.T) {
	dev, _ := simDevice(t, drivesim.Options{Media: drivesim.BDR25, Seed: 11})
	d := drive.New(dev, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, 10*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	mi, err := d.MediaInfo(ctx)
	if err != nil || mi.State != drive.StateBlank || len(mi.MediaID) != 16 {
		t.Fatalf("MediaInfo() = %+v, %v", mi, err)
	}
	img := make([]byte, 8*drive.ClusterSize)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	if _, err := d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{StartLBA: mi.NextWritable}); err != nil {
		t.Fatalf("WriteImage() = %v", err)
	}
	for name, step := range map[string]func(context.Context) error{"SynchronizeCache": d.SynchronizeCache, "Finalize": d.Finalize} {
		if err := step(ctx); err != nil {
			t.Fatalf("%s() = %v", name, err)
		}
	}
	got := make([]byte, len(img))
	if err := d.Read(ctx, mi.NextWritable, got); err != nil || !bytes.Equal(got, img) {
		t.Fatalf("Read() = %v, equal %v", err, bytes.Equal(got, img))
	}
	if mi, err := d.MediaInfo(ctx); err != nil || mi.State != drive.StateComplete {
		t.Fatalf("MediaInfo() after Finalize = %+v, %v; want complete", mi, err)
	}
}

func TestSGIOPathFaults(t *testing.T) {
	dev, sim := simDevice(t, drivesim.Options{Media: drivesim.BDR25})
	d := drive.New(dev, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	sim.Inject(drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: 5})
	var se *drive.SenseError
	if err := d.Write(ctx, 0, make([]byte, drive.ClusterSize)); !errors.Is(err, drive.ErrWriteError) || !errors.As(err, &se) || se.LBA != 5 {
		t.Errorf("Write() with a write error at 5 = %v, want %v at LBA 5", err, drive.ErrWriteError)
	}
	sim.ClearFaults()
	sim.Inject(drivesim.Fault{Kind: drivesim.FaultHang})
	hctx, hcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer hcancel()
	var hf *HostFailure
	if err := d.WaitReady(hctx); !errors.Is(err, drive.ErrTimeout) || !errors.As(err, &hf) {
		t.Errorf("WaitReady() on a hung drive = %v, want a *HostFailure matching %v", err, drive.ErrTimeout)
	}
}

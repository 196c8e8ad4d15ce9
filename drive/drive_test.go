package drive_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

func newSim(t *testing.T, opts drivesim.Options) *drivesim.Drive {
	t.Helper()
	opts.Dir = t.TempDir()
	sim, err := drivesim.New(opts)
	if err != nil {
		t.Fatalf("drivesim.New() = %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func fastDrive(t drive.Transport) *drive.Drive {
	return drive.New(t, drive.WithBackoff(time.Millisecond, 20*time.Millisecond, 10*time.Second))
}

func image(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// TestBDRSession writes an image to a blank BD-R in the simulator, closes
// the track and finalises, and reads it back.
func TestBDRSession(t *testing.T) {
	for _, desc := range []bool{false, true} {
		sim := newSim(t, drivesim.Options{Media: drivesim.BDR25, Seed: 7, DescriptorSense: desc})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d := fastDrive(sim)
		if err := d.WaitReady(ctx); err != nil {
			t.Fatalf("WaitReady() = %v", err)
		}
		id, err := d.Identify(ctx)
		if err != nil || id.CurrentProfile != drive.ProfileBDRSRM || !id.CanWriteBD {
			t.Fatalf("Identify() = %+v, %v; want profile BD-R SRM with BD write", id, err)
		}
		mi, err := d.MediaInfo(ctx)
		if err != nil {
			t.Fatalf("MediaInfo() = %v", err)
		}
		if mi.State != drive.StateBlank || mi.CapacitySectors != drive.BDRSingleLayer || !mi.NextWritableValid || mi.NextWritable != 0 || len(mi.MediaID) != 16 {
			t.Fatalf("MediaInfo() = %+v; want blank, %d sectors, NWA 0, 16-byte media ID", mi, drive.BDRSingleLayer)
		}
		if sp, err := d.ChooseWriteSpeed(ctx, 8); err != nil || sp.X > 8 || sp.X < 1 {
			t.Fatalf("ChooseWriteSpeed(8) = %+v, %v; want 1x..8x", sp, err)
		}
		img := image(3*drive.ClusterSize+5000, 1)
		var reports int
		res, err := d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{StartLBA: mi.NextWritable, Total: int64(len(img)),
			Progress: func(p drive.WriteProgress) { reports++ }})
		wantSectors := uint32((len(img) + drive.SectorSize - 1) / drive.SectorSize)
		if err != nil || res.Bytes != int64(len(img)) || res.Sectors != wantSectors || reports != 4 {
			t.Fatalf("WriteImage() = %+v, %v, %d reports; want %d bytes, %d sectors, 4 reports", res, err, reports, len(img), wantSectors)
		}
		if err := d.SynchronizeCache(ctx); err != nil {
			t.Fatalf("SynchronizeCache() = %v", err)
		}
		if err := d.CloseTrack(ctx, mi.OpenTrack); err != nil {
			t.Fatalf("CloseTrack(%d) = %v", mi.OpenTrack, err)
		}
		if err := d.Finalize(ctx); err != nil {
			t.Fatalf("Finalize() = %v", err)
		}
		after, err := d.MediaInfo(ctx)
		if err != nil || after.State != drive.StateComplete || !bytes.Equal(after.MediaID, mi.MediaID) {
			t.Fatalf("MediaInfo() after finalise = %+v, %v; want complete, same media ID", after, err)
		}
		got := make([]byte, int(wantSectors)*drive.SectorSize)
		if err := d.Read(ctx, 0, got); err != nil || !bytes.Equal(got[:len(img)], img) {
			t.Fatalf("Read() = %v, data equal %v", err, bytes.Equal(got[:len(img)], img))
		}
		if err := d.Write(ctx, res.NextLBA, make([]byte, drive.SectorSize)); !errors.Is(err, drive.ErrIllegalRequest) {
			t.Errorf("Write() after finalise = %v, want %v", err, drive.ErrIllegalRequest)
		}
	}
}

func TestBDREFormatAndRewrite(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDRE25})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := fastDrive(sim)
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	if err := d.Format(ctx); err != nil {
		t.Fatalf("Format() = %v", err)
	}
	mi, err := d.MediaInfo(ctx)
	if err != nil || mi.Profile != drive.ProfileBDRE || mi.State != drive.StateRandomAccess || mi.CapacitySectors == 0 || !mi.Erasable {
		t.Fatalf("MediaInfo() = %+v, %v; want BD-RE, random access, formatted", mi, err)
	}
	for _, seed := range []uint64{1, 2} { // the second pass overwrites the first
		img := image(drive.ClusterSize, seed)
		if err := d.Write(ctx, 64, img); err != nil {
			t.Fatalf("Write(64) = %v", err)
		}
		got := make([]byte, len(img))
		if err := d.Read(ctx, 64, got); err != nil || !bytes.Equal(got, img) {
			t.Fatalf("Read(64) = %v, equal %v", err, bytes.Equal(got, img))
		}
	}
}

// TestFaults injects each simulator fault and checks the typed error, and
// that every call returns before its context's deadline.
func TestFaults(t *testing.T) {
	data := make([]byte, drive.ClusterSize)
	tests := []struct {
		name    string
		fault   drivesim.Fault
		run     func(ctx context.Context, d *drive.Drive) error
		want    error
		wantLBA int64 // -1: no LBA expected
	}{
		{name: "write error", fault: drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: 40},
			run: func(ctx context.Context, d *drive.Drive) error { return d.Write(ctx, 0, append(data, data...)) }, want: drive.ErrWriteError, wantLBA: 40},
		{name: "medium error on read", fault: drivesim.Fault{Kind: drivesim.FaultMediumError, LBA: 3},
			run: func(ctx context.Context, d *drive.Drive) error {
				if err := d.Write(ctx, 0, data); err != nil {
					return err
				}
				if err := d.SynchronizeCache(ctx); err != nil {
					return err
				}
				return d.Read(ctx, 0, data)
			}, want: drive.ErrUnrecoveredRead, wantLBA: 3},
		{name: "read of an unwritten sector", run: func(ctx context.Context, d *drive.Drive) error { return d.Read(ctx, 100, data[:drive.SectorSize]) },
			want: drive.ErrInvalidAddress, wantLBA: 100},
		{name: "write away from the next writable address", run: func(ctx context.Context, d *drive.Drive) error { return d.Write(ctx, 320, data) },
			want: drive.ErrInvalidAddress, wantLBA: -1},
		{name: "power loss during a write", fault: drivesim.Fault{Kind: drivesim.FaultPowerLoss, LBA: 0},
			run: func(ctx context.Context, d *drive.Drive) error { return d.Write(ctx, 0, data) }, want: drive.ErrTransport, wantLBA: -1},
		{name: "no medium", fault: drivesim.Fault{Kind: drivesim.FaultNoMedium, Duration: time.Hour},
			run: func(ctx context.Context, d *drive.Drive) error { return d.WaitReady(ctx) }, want: drive.ErrMediumNotPresent, wantLBA: -1},
		{name: "command never answers", fault: drivesim.Fault{Kind: drivesim.FaultHang, Ops: []drive.Opcode{drive.OpWrite12}},
			run: func(ctx context.Context, d *drive.Drive) error { return d.Write(ctx, 0, data) }, want: drive.ErrTimeout, wantLBA: -1},
		{name: "not ready longer than the deadline", fault: drivesim.Fault{Kind: drivesim.FaultBecomingReady, Duration: time.Hour},
			run: func(ctx context.Context, d *drive.Drive) error { return d.WaitReady(ctx) }, want: drive.ErrBecomingReady, wantLBA: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, drivesim.Options{Media: drivesim.BDR25, Seed: 3})
			d := fastDrive(sim)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.WaitReady(ctx); err != nil {
				t.Fatalf("WaitReady() = %v", err)
			}
			if tc.fault.Kind != 0 {
				sim.Inject(tc.fault)
			}
			fctx, fcancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer fcancel()
			err := tc.run(fctx, d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%s: error = %v, want %v", tc.name, err, tc.want)
			}
			var se *drive.SenseError
			if tc.wantLBA >= 0 && (!errors.As(err, &se) || !se.LBAValid || int64(se.LBA) != tc.wantLBA) {
				t.Errorf("%s: error = %v, want a SenseError at LBA %d", tc.name, err, tc.wantLBA)
			}
		})
	}
}

// TestCommandTimeout: a command that names no timeout of its own is given
// WithCommandTimeout's, which is what the drive is told to wait.
func TestCommandTimeout(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25, Seed: 3})
	d := drive.New(sim, drive.WithBackoff(time.Millisecond, 5*time.Millisecond, time.Second), drive.WithCommandTimeout(150*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	sim.Inject(drivesim.Fault{Kind: drivesim.FaultHang, Ops: []drive.Opcode{drive.OpWrite12}})
	err := d.Write(ctx, 0, make([]byte, 32*drive.SectorSize))
	if !errors.Is(err, drive.ErrTimeout) || !strings.Contains(err.Error(), "no answer within 150ms") {
		t.Errorf("Write to a hung drive = %v, want %v after 150ms", err, drive.ErrTimeout)
	}
}

// TestWaitReadyAbsorbs: a reset's unit attention and a short becoming-ready
// period are waited out.
func TestWaitReadyAbsorbs(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
	d := fastDrive(sim)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
	sim.Reset()
	sim.Inject(drivesim.Fault{Kind: drivesim.FaultBecomingReady, Duration: 50 * time.Millisecond, Count: 1})
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady() after reset = %v, want nil", err)
	}
}

func TestCancelledContext(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
	d := fastDrive(sim)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.MediaInfo(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("MediaInfo(cancelled) = %v, want %v", err, context.Canceled)
	}
	if _, err := d.WriteImage(ctx, bytes.NewReader(make([]byte, 1<<20)), drive.WriteOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteImage(cancelled) = %v, want %v", err, context.Canceled)
	}
	if _, err := d.WriteImage(context.Background(), bytes.NewReader(nil), drive.WriteOptions{StartLBA: 5}); !errors.Is(err, drive.ErrInvalidAddress) {
		t.Errorf("WriteImage(StartLBA 5) = %v, want %v", err, drive.ErrInvalidAddress)
	}
}

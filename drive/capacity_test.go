package drive_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestMediaInfoWithoutFormatCapacities: MediaInfo on a drive that does not
// implement READ FORMAT CAPACITIES (ILLEGAL REQUEST 20/00, as QEMU's and
// read-only drives answer) gives the same state and capacity as on one
// that does, for blank, appendable and complete BD-R, and for BD-RE before
// and after formatting.
func TestMediaInfoWithoutFormatCapacities(t *testing.T) {
	const written = 3 * drive.ClusterSectors
	burn := func(ctx context.Context, d *drive.Drive, finish func(context.Context) error) error {
		if err := d.Write(ctx, 0, make([]byte, written*drive.SectorSize)); err != nil {
			return err
		}
		if err := d.SynchronizeCache(ctx); err != nil {
			return err
		}
		if err := d.CloseTrack(ctx, 1); err != nil {
			return err
		}
		return finish(ctx)
	}
	tests := []struct {
		name    string
		media   drivesim.MediaType
		prepare func(ctx context.Context, d *drive.Drive) error
		want    facts
	}{
		{"blank BD-R", drivesim.BDR25, nil,
			facts{State: drive.StateBlank, CapacitySectors: drive.BDRSingleLayer, NextWritable: 0, NextWritableValid: true,
				FreeSectors: drive.BDRSingleLayer, OpenTrack: 1}},
		{"blank BD-R DL", drivesim.BDR50, nil,
			facts{State: drive.StateBlank, CapacitySectors: drive.BDRDualLayer, NextWritableValid: true,
				FreeSectors: drive.BDRDualLayer, OpenTrack: 1}},
		{"appendable BD-R", drivesim.BDR25, func(ctx context.Context, d *drive.Drive) error { return burn(ctx, d, d.CloseSession) },
			facts{State: drive.StateAppendable, CapacitySectors: drive.BDRSingleLayer, NextWritable: written, NextWritableValid: true,
				FreeSectors: drive.BDRSingleLayer - written, OpenTrack: 2, LastRecorded: written - 1}},
		{"complete BD-R", drivesim.BDR25, func(ctx context.Context, d *drive.Drive) error { return burn(ctx, d, d.Finalize) },
			facts{State: drive.StateComplete, CapacitySectors: written, LastRecorded: written - 1}},
		{"unformatted BD-RE", drivesim.BDRE25, nil,
			facts{State: drive.StateBlank, Erasable: true}},
		{"formatted BD-RE", drivesim.BDRE25, func(ctx context.Context, d *drive.Drive) error { return d.Format(ctx) },
			facts{State: drive.StateRandomAccess, Erasable: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, drivesim.Options{Media: tc.media})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			d := fastDrive(sim)
			if err := d.WaitReady(ctx); err != nil {
				t.Fatalf("WaitReady() = %v", err)
			}
			if tc.prepare != nil {
				if err := tc.prepare(ctx, d); err != nil {
					t.Fatalf("preparing the disc: %v", err)
				}
			}
			with, err := d.MediaInfo(ctx)
			if err != nil {
				t.Fatalf("MediaInfo() = %v", err)
			}
			inj := inject(sim, drive.OpReadFormatCapacities, -1, fixedSense(drive.KeyIllegalRequest, drive.ASCInvalidOpcode))
			without, err := fastDrive(inj).MediaInfo(ctx)
			if err != nil {
				t.Fatalf("MediaInfo() without READ FORMAT CAPACITIES = %v", err)
			}
			want := tc.want
			if tc.name == "unformatted BD-RE" {
				// The simulator answers READ CAPACITY on it with last LBA
				// FFFFFFFFh; only capacity and state are the drive layer's.
				want.LastRecorded = with.LastRecorded
			}
			if tc.name == "formatted BD-RE" { // the simulator's formatted size
				want.CapacitySectors, want.FreeSectors, want.LastRecorded = with.CapacitySectors, with.CapacitySectors, with.CapacitySectors-1
				if want.CapacitySectors == 0 {
					t.Fatalf("MediaInfo() of a formatted BD-RE = capacity 0")
				}
			}
			for _, got := range []struct {
				how string
				mi  *drive.MediaInfo
			}{{"with READ FORMAT CAPACITIES", with}, {"without", without}} {
				if g := pick(got.mi); g != want {
					t.Errorf("MediaInfo() %s = %+v, want %+v", got.how, g, want)
				}
			}
		})
	}
}

// facts are the fields of drive.MediaInfo that
// TestMediaInfoWithoutFormatCapacities compares.
type facts struct {
	State                         drive.MediaState
	Erasable                      bool
	CapacitySectors, NextWritable uint32
	NextWritableValid             bool
	FreeSectors                   uint32
	OpenTrack                     uint16
	LastRecorded                  uint32
}

func pick(mi *drive.MediaInfo) facts {
	return facts{State: mi.State, Erasable: mi.Erasable, CapacitySectors: mi.CapacitySectors, NextWritable: mi.NextWritable,
		NextWritableValid: mi.NextWritableValid, FreeSectors: mi.FreeSectors, OpenTrack: mi.OpenTrack, LastRecorded: mi.LastRecorded}
}

// TestMediaInfoFormatCapacitiesRefused: only "invalid command operation
// code" means the drive lacks READ FORMAT CAPACITIES; any other refusal of
// it is an error MediaInfo returns.
func TestMediaInfoFormatCapacitiesRefused(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25})
	inj := inject(sim, drive.OpReadFormatCapacities, 1, fixedSense(drive.KeyIllegalRequest, drive.ASCInvalidFieldInCDB))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := fastDrive(inj).MediaInfo(ctx)
	if !errors.Is(err, drive.ErrIllegalRequest) || senseCode(err) != drive.ASCInvalidFieldInCDB {
		t.Errorf("MediaInfo() = %v, want %v (24/00)", err, drive.ErrIllegalRequest)
	}
}

// TestChooseWriteSpeedWithoutFormatCapacities: on a drive without READ
// FORMAT CAPACITIES, SET STREAMING still covers the whole medium, to the
// same end LBA as on a drive with it.
func TestChooseWriteSpeedWithoutFormatCapacities(t *testing.T) {
	for _, media := range []drivesim.MediaType{drivesim.BDR25, drivesim.BDR50} {
		t.Run(media.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var ends []uint32
			for _, count := range []int{0, -1} { // with, then without READ FORMAT CAPACITIES
				sim := newSim(t, drivesim.Options{Media: media, SpeedX: 12})
				inj := inject(sim, drive.OpReadFormatCapacities, count, fixedSense(drive.KeyIllegalRequest, drive.ASCInvalidOpcode))
				d := fastDrive(inj)
				if err := d.WaitReady(ctx); err != nil {
					t.Fatalf("WaitReady() = %v", err)
				}
				sp, err := d.ChooseWriteSpeed(ctx, 8)
				if err != nil || sp.X > 8 || sp.X < 1 {
					t.Fatalf("ChooseWriteSpeed(8) with READ FORMAT CAPACITIES answered %d times = %+v, %v; want 1x..8x", -count, sp, err)
				}
				p := inj.lastOut(drive.OpSetStreaming)
				if len(p) != 28 {
					t.Fatalf("SET STREAMING parameters = % x, want 28 bytes", p)
				}
				ends = append(ends, binary.BigEndian.Uint32(p[8:12]))
			}
			if want := media.Sectors() - 1; ends[0] != want || ends[1] != want {
				t.Errorf("SET STREAMING end LBA with, without READ FORMAT CAPACITIES = %d, %d; want %d", ends[0], ends[1], want)
			}
		})
	}
}

package drivesim_test

import (
	"bytes"
	"context"
	"copystation/drive"
	"copystation/drive/drivetest"
	"copystation/simulator/drivesim"
	"errors"
	"testing"
	"time"
)

// TestConformance runs the drive layer's backend conformance suite against
// the simulator in process, with real load times on the system clock.
// The discs are kept in sparse files and, as benchmarks keep them, in
// memory.
func TestConformance(t *testing.T) {
	for _, inMemory := range []bool{false, true} {
		t.Run(map[bool]string{false: "file", true: "memory"}[inMemory], func(t *testing.T) {
			drivetest.RunConformance(t, func(t *testing.T) drive.Transport {
				d, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), InMemory: inMemory, Media: drivesim.BDR25, TimeScale: 0.01})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				return d
			})
		})
	}
}

// TestDriveAPI runs the drive layer's high-level API against the simulator:
// the contract other parts of the station rely on.
func TestDriveAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := drive.New(sim, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, 10*time.Second))
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady = %v", err)
	}
	mi, err := d.MediaInfo(ctx)
	if err != nil {
		t.Fatalf("MediaInfo = %v", err)
	}
	if mi.Profile != drive.ProfileBDRSRM || mi.State != drive.StateBlank || mi.CapacitySectors != drive.BDRSingleLayer ||
		!mi.NextWritableValid || mi.NextWritable != 0 || mi.FreeSectors != drive.BDRSingleLayer || len(mi.MediaID) != 16 {
		t.Fatalf("MediaInfo(blank BD-R) = %+v", mi)
	}
	img := bytes.Repeat([]byte("drive API image "), 300000) // 4.8 MB, last sector partial
	res, err := d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{})
	if err != nil {
		t.Fatalf("WriteImage = %v", err)
	}
	if err := d.SynchronizeCache(ctx); err != nil {
		t.Fatalf("SynchronizeCache = %v", err)
	}
	if err := d.CloseTrack(ctx, 1); err != nil {
		t.Fatalf("CloseTrack = %v", err)
	}
	if err := d.Finalize(ctx); err != nil {
		t.Fatalf("Finalize = %v", err)
	}
	got := make([]byte, int(res.Sectors)*drive.SectorSize)
	if err := d.Read(ctx, 0, got); err != nil || !bytes.Equal(got[:len(img)], img) {
		t.Fatalf("Read back = %v, equal %v", err, bytes.Equal(got[:len(img)], img))
	}
	// The drive padded the last ECC cluster when the cache was flushed.
	padded := (res.Sectors+drive.ClusterSectors-1)/drive.ClusterSectors*drive.ClusterSectors - 1
	if mi, err = d.MediaInfo(ctx); err != nil || mi.State != drive.StateComplete || mi.LastRecorded != padded {
		t.Errorf("MediaInfo(finalised) = %+v, %v, want complete with last recorded LBA %d", mi, err, padded)
	}
	err = d.Write(ctx, res.NextLBA, make([]byte, drive.ClusterSize))
	if !errors.Is(err, drive.ErrInvalidAddress) {
		t.Errorf("Write after Finalize = %v, want drive.ErrInvalidAddress", err)
	}
}

package drive_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// BenchmarkWriteImageInProcess streams an image through WriteImage to the
// in-process simulator, unthrottled (TimeScale 0): the cost of the drive
// layer and the simulator's disc file, in bytes per second of image.
func BenchmarkWriteImageInProcess(b *testing.B) {
	const size = 32 << 20
	sim, err := drivesim.New(drivesim.Options{Dir: b.TempDir(), Media: drivesim.BDR25})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	benchWriteImage(b, sim, size, func() {
		sim.Remove()
		if err := sim.Insert(drivesim.BDR25); err != nil {
			b.Fatal(err)
		}
	})
}

// benchWriteImage writes size bytes per iteration at the next writable
// address, putting in a fresh disc (timer stopped) when one fills up.
func benchWriteImage(b *testing.B, t drive.Transport, size int, fresh func()) {
	img := image(size, 9)
	d := drive.New(t, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, time.Minute))
	ctx := context.Background()
	if err := d.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	lba := uint32(0)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if lba+uint32(size/drive.SectorSize) > drive.BDRSingleLayer {
			b.StopTimer()
			fresh()
			if err := d.WaitReady(ctx); err != nil {
				b.Fatal(err)
			}
			lba = 0
			b.StartTimer()
		}
		res, err := d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{StartLBA: lba})
		if err != nil {
			b.Fatal(err)
		}
		lba = res.NextLBA
	}
	b.StopTimer()
	if err := d.SynchronizeCache(ctx); err != nil {
		b.Fatal(err)
	}
}

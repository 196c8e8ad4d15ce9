package serial_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// benchWriteImage writes size bytes of image per iteration at the next
// writable address of a BD-R 25 (never filled at these sizes).
func benchWriteImage(b *testing.B, d *drive.Drive, size int) {
	img := bytes.Repeat([]byte{0x5A, 0xC3, 0x17, 0x88}, size/4)
	ctx := context.Background()
	if err := d.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	lba := uint32(0)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if lba+uint32(size/drive.SectorSize) > drive.BDRSingleLayer {
			b.Fatalf("disc full after %d iterations; lower -benchtime", b.N)
		}
		res, err := d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{StartLBA: lba})
		if err != nil {
			b.Fatal(err)
		}
		lba = res.NextLBA
	}
}

// BenchmarkWriteImageSerialPipe: the framing alone, over an in-memory
// line to the in-process simulator.
func BenchmarkWriteImageSerialPipe(b *testing.B) {
	sim, err := drivesim.New(drivesim.Options{Dir: b.TempDir(), Media: drivesim.BDR25})
	if err != nil {
		b.Fatal(err)
	}
	tr, cleanup := pipeLink(b, sim)
	defer cleanup()
	benchWriteImage(b, drive.New(tr, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, time.Minute)), 16<<20)
}

// BenchmarkWriteImagePty: the station's serial path to copysim, a separate
// process, over a real pseudo-terminal, unthrottled (time scale 0).
func BenchmarkWriteImagePty(b *testing.B) {
	d, _ := openPty(b, startCopysim(b, "--loaded"))
	benchWriteImage(b, d, 8<<20)
}

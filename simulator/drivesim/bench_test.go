package drivesim

import (
	"copystation/drive"
	"sync"
	"testing"
	"time"
)

// BenchmarkWrite12 measures unthrottled WRITE(12) through Do, in the 64 KiB
// units the drive layer writes, and 1 MiB units.
func BenchmarkWrite12(b *testing.B) {
	for _, sectors := range []uint32{32, 512} {
		b.Run(byteSize(sectors), func(b *testing.B) {
			d, err := New(Options{Dir: b.TempDir(), Media: BDR25})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			for range 3 {
				d.Do(cdbTUR(), drive.DirNone, nil, time.Second)
			}
			buf := pattern(0, sectors)
			b.SetBytes(int64(len(buf)))
			lba := uint32(0)
			b.ResetTimer()
			for range b.N {
				if lba+sectors > 1<<18 { // 512 MiB, then a fresh disc
					// Deleting the old disc's file drops its dirty pages, so
					// the figure is the simulator's, not the host disk's.
					b.StopTimer()
					disc, _ := d.Remove()
					disc.Destroy()
					d.Insert(BDR25)
					for range 3 {
						d.Do(cdbTUR(), drive.DirNone, nil, time.Second)
					}
					lba = 0
					b.StartTimer()
				}
				res, err := d.Do(cdbWrite12(lba, sectors, true), drive.DirOut, buf, time.Second)
				if err != nil || res.Status != drive.StatusGood {
					b.Fatalf("WRITE(12) at %d = %v, %x", lba, err, res.Sense)
				}
				lba += sectors
			}
		})
	}
}

func byteSize(sectors uint32) string {
	if sectors*2048 >= 1<<20 {
		return "1MiB"
	}
	return "64KiB"
}

// TestConcurrentUse runs readers, writers and state changes at once; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	d, _ := newTestDrive(t, BDRE25, Options{})
	run(t, d, []byte{0x04, 0x11, 0, 0, 0, 0}, drive.DirOut, []byte{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := pattern(uint32(g)*1000, 32)
			for i := range 50 {
				lba := uint32(g)*1000 + uint32(i%10)*32
				d.Do(cdbWrite12(lba, 32, true), drive.DirOut, buf, time.Second)
				d.Do(cdbRead12(lba, 32), drive.DirIn, make([]byte, len(buf)), time.Second)
				d.Do(cdbGESN, drive.DirIn, make([]byte, 8), time.Second)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			d.Inject(Fault{Kind: FaultReset, Count: 1})
			d.HasDisc()
			d.TrayOpen()
		}
	}()
	wg.Wait()
}

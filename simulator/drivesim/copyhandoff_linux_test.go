package drivesim

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkMemoryCopyHandoff measures what a memory disc's copies cost
// when the host buffers they read (WRITE) or fill (READ) are handed
// between threads as the copy pipeline hands its 1 MiB units: a "station"
// thread fills a unit (as the encrypter does) and a "drive" thread writes
// it to the disc, or the drive thread reads a unit from the disc and the
// station thread MACs it (AES-GCM over 64 KiB clusters, as the verify
// does). Both threads are pinned (sched_setaffinity): "same" puts them on
// one CPU, "cross" on two, "same-busymem" on one while the other CPU MACs
// a private 64 MiB buffer (memory traffic without shared lines). Units sit
// at multiples of 1 MiB ("aligned") or 64 KiB further on ("skewed"), as
// the burned image does behind its 64 KiB header. drive-copy-cpu-s/GB is
// the drive thread's CPU in the copies alone (MemoryCopies).
//
//	go test -run X -bench MemoryCopyHandoff -cpu 2 ./simulator/drivesim
func BenchmarkMemoryCopyHandoff(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Fatalf("BenchmarkMemoryCopyHandoff: needs 2 CPUs, the machine has %d", runtime.NumCPU())
	}
	for _, dir := range []string{"write", "read"} {
		for _, where := range []struct {
			name    string
			station int
			busy    bool
		}{{"same", 0, false}, {"cross", 1, false}, {"same-busymem", 0, true}} {
			for _, skew := range []struct {
				name string
				off  int64
			}{{"aligned", 0}, {"skewed", 64 << 10}} {
				b.Run(dir+"/"+where.name+"/"+skew.name, func(b *testing.B) {
					if where.busy {
						defer busyCPU(b, 1, 64<<20)()
					}
					runHandoff(b, dir == "write", where.station, skew.off)
				})
			}
		}
	}
}

const (
	handoffUnit = 1 << 20   // the pipeline's unit
	handoffDisc = 256 << 20 // far more than any cache, as a 1 GiB disc is
	handoffBufs = 4         // units in flight
)

func runHandoff(b *testing.B, write bool, stationCPU int, skew int64) {
	ReserveMemory(handoffDisc)
	s := newMemStore(handoffDisc)
	defer s.Close()
	// The disc's blocks exist and are faulted in before timing.
	zero := make([]byte, handoffUnit)
	for off := int64(0); off < handoffDisc; off += handoffUnit {
		s.WriteAt(zero, off)
	}
	free, full := make(chan []byte, handoffBufs), make(chan []byte, handoffBufs)
	for range handoffBufs {
		free <- make([]byte, handoffUnit)
	}
	gmac := newGCM(b)
	MeasureMemoryCopies(true)
	defer MeasureMemoryCopies(false)
	cpu0 := MemoryCopies().CPU
	b.SetBytes(handoffUnit)
	b.ResetTimer()
	n := b.N
	done := make(chan error, 2)
	go func() { // the station
		done <- pinned(stationCPU, func() {
			tag, nonce := make([]byte, 16), make([]byte, 12)
			for i := range n {
				if write {
					buf := <-free
					fill(buf, uint64(i))
					full <- buf
					continue
				}
				buf := <-full
				for j := 0; j < len(buf); j += 64 << 10 {
					gmac.Seal(tag[:0], nonce, nil, buf[j:j+64<<10])
				}
				free <- buf
			}
		})
	}()
	go func() { // the drive
		done <- pinned(0, func() {
			for i := range n {
				off := int64(i)*handoffUnit%(handoffDisc-handoffUnit) + skew
				if write {
					buf := <-full
					s.WriteAt(buf, off)
					free <- buf
					continue
				}
				buf := <-free
				s.ReadAt(buf, off)
				full <- buf
			}
		})
	}()
	for range 2 {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((MemoryCopies().CPU-cpu0).Seconds()/(float64(n)*handoffUnit/1e9), "drive-copy-cpu-s/GB")
}

// pinned runs fn on a thread of its own bound to CPU cpu. The thread is
// never unlocked, so it exits with its goroutine instead of going back to
// the runtime with its affinity.
func pinned(cpu int, fn func()) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return err
	}
	fn()
	return nil
}

// busyCPU keeps CPU cpu MACing size bytes of its own, 64 KiB at a time,
// until the returned stop is called.
func busyCPU(b *testing.B, cpu, size int) (stop func()) {
	gmac := newGCM(b)
	quit, done := make(chan struct{}), make(chan error)
	go func() {
		done <- pinned(cpu, func() {
			buf := make([]byte, size)
			tag, nonce := make([]byte, 16), make([]byte, 12)
			for {
				for j := 0; j < size; j += 64 << 10 {
					select {
					case <-quit:
						return
					default:
					}
					gmac.Seal(tag[:0], nonce, nil, buf[j:j+64<<10])
				}
			}
		})
	}()
	return func() {
		close(quit)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

func newGCM(b *testing.B) cipher.AEAD {
	blk, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		b.Fatal(err)
	}
	return gcm
}

// fill writes every byte of buf, as an encrypter writing its output does.
func fill(buf []byte, seed uint64) {
	for j := 0; j < len(buf); j += 8 {
		binary.LittleEndian.PutUint64(buf[j:], seed+uint64(j))
	}
}

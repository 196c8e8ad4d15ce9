package film

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// peakHeap samples the live heap (runtime/metrics, every millisecond)
// while fn runs and returns the highest sample, in bytes.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// BenchmarkAuthorMemory authors the tracing film (film.TracingOptions,
// encoded once, not timed) and reports the peak live heap during
// authoring (peak-heap-MiB) beside the film's size (film-MiB: both video
// encodings and the audio), so the two can be compared.
func BenchmarkAuthorMemory(b *testing.B) {
	need(b, "ffmpeg", "mkudffs")
	dir := b.TempDir()
	enc, err := Encode(context.Background(), dir, TracingOptions)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, p := range []string{enc.VideoA, enc.VideoB, enc.Audio} {
		fi, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	b.SetBytes(size)
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if _, err := authorForBench(enc, dir); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(size)/(1<<20), "film-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

func authorForBench(enc *Encoding, dir string) (*Film, error) {
	return AuthorTo(enc, "film-bench", dir)
}

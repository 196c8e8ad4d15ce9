package burn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/drive"
)

// truncateOnWrite truncates a file to size when the first WRITE into the
// image reaches the drive, and records the highest sector written.
type truncateOnWrite struct {
	lbaWrites
	path string
	size int64
	once sync.Once
	err  error
}

func (w *truncateOnWrite) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	res, err := w.lbaWrites.Do(cdb, dir, buf, timeout)
	if w.lbaWrites.end.Load() > imageLBA {
		w.once.Do(func() { w.err = os.Truncate(w.path, w.size) })
	}
	return res, err
}

// TestCopySinglePassTruncatedUnderCopy: an installed package cut short
// while a copy is writing it (a disk filling up, an operator's mistake)
// stops the copy at the first chunk the file no longer holds, with the
// chunk named and the disc spoiled, without a crash, and nothing of that
// chunk or after it reaches the drive. The sealers run ahead of the drive
// by at most the pipeline's buffers (2w+2 chunks), so chunk 40 of 50 is
// read after the cut.
func TestCopySinglePassTruncatedUnderCopy(t *testing.T) {
	for _, procs := range []int{1, 4} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			f := newFixture(t, 1600) // 50 chunks of 64 KiB, no variants
			b, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "installed.ctp")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			const cut = 40
			sim := newSim(t)
			job := f.job(t, sim, "job-1", nil)
			job.Package = openAs(t, path, job.Keys)
			job.SinglePass = true
			w := &truncateOnWrite{lbaWrites: lbaWrites{Transport: sim}, path: path, size: job.Package.ChunkOffset(cut) + 100}
			_, err = Copy(context.Background(), newDrive(w), job)
			if w.err != nil {
				t.Fatalf("os.Truncate() = %v", w.err)
			}
			var e *Error
			var ce *titlepkg.ChunkError
			if !errors.Is(err, ErrPackage) || !errors.As(err, &e) || e.Phase != PhaseWrite || !e.Spoiled || !errors.As(err, &ce) || ce.Index != cut {
				t.Fatalf("Copy(package truncated in chunk %d while writing) = %v, want a spoiled %v in phase %q naming chunk %d", cut, err, ErrPackage, PhaseWrite, cut)
			}
			first := uint32(imageLBA) + cut*titlepkg.MinChunkSize/disc.SectorSize
			if end := w.end.Load(); end > first {
				t.Errorf("sectors up to %d were written, want none from %d (the first of chunk %d, cut off)", end-1, first, cut)
			}
		})
	}
}

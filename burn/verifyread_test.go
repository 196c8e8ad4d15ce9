package burn

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"copystation/burn/disc"
)

// imageReads passes every call to the drive and counts the READs of the
// image's sectors.
type imageReads struct {
	device
	from, to uint32 // the image's LBAs
	n        atomic.Int32
}

func (r *imageReads) read(ctx context.Context, lba uint32, p []byte) error {
	if lba >= r.from && lba < r.to {
		r.n.Add(1)
	}
	return r.device.read(ctx, lba, p)
}

// TestVerifyReadsAheadOfChecks: the verify pass keeps its drive reading
// while the GMAC checks cannot run (every core slot taken, as when other
// drives' writing has the cores): the reader fills every buffer of the
// pipe before it waits, so a drive reading at its rated speed does not
// stop for the host's first late check. A reader that waited for each
// unit's check would stop after one READ. Once the checks run, the disc
// verifies.
func TestVerifyReadsAheadOfChecks(t *testing.T) {
	p := newPipe()
	f := newFixture(t, (p.bufs+3)*unitSize/disc.SectorSize)
	sim := newSim(t)
	cw := []byte{0}
	job := f.job(t, sim, "job-1", cw)
	made, err := Copy(context.Background(), newDrive(sim), job)
	if err != nil {
		t.Fatalf("Copy() = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	slots := runtime.GOMAXPROCS(0)
	for range slots {
		if err := cores.acquire(ctx, true); err != nil {
			t.Fatalf("cores.acquire() = %v", err)
		}
	}
	var once sync.Once
	free := func() {
		once.Do(func() {
			for range slots {
				cores.release()
			}
		})
	}
	defer free()
	dev := &imageReads{device: driveDevice{r: newDrive(sim)}, from: made.Layout.ImageLBA(), to: made.Layout.TableLBA()}
	again := f.job(t, sim, "job-1", cw)
	done := make(chan error, 1)
	go func() {
		_, err := verifyDisc(ctx, dev, again)
		done <- err
	}()
	for dev.n.Load() < int32(p.bufs) {
		select {
		case err := <-done:
			t.Fatalf("verifyDisc() = %v before any check could run", err)
		case <-ctx.Done():
			t.Fatalf("verify read %d image units while its checks waited, want %d (every buffer of the pipe)", dev.n.Load(), p.bufs)
		case <-time.After(time.Millisecond):
		}
	}
	free()
	if err := <-done; err != nil {
		t.Errorf("verifyDisc() = %v after the checks ran, want the copy verified", err)
	}
}

package burn

import (
	"context"
	"sync"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/drive"
	"copystation/simulator/drivesim"
)

// lateAfterFirst passes every call to the drive and stalls once, after
// the first WRITE returns, as a writer the scheduler runs late would.
type lateAfterFirst struct {
	device
	stall time.Duration
	once  sync.Once
	first int // bytes of the first WRITE
}

func (l *lateAfterFirst) write(ctx context.Context, lba uint32, p []byte) error {
	err := l.device.write(ctx, lba, p)
	l.once.Do(func() {
		l.first = len(p)
		time.Sleep(l.stall)
	})
	return err
}

// TestStreamStartsWithAUnit: a write stream's first WRITE is a whole unit
// (the one-cluster header region and the image's first clusters), so a
// writer that comes back 8 ms late after it does not empty the drive's
// buffer. The drive writes at 22.5 MB/s (1x, its time scaled by 0.2): the
// header region alone drains in 2.9 ms, so the stall after it would be an
// underrun; a unit drains in 47 ms.
func TestStreamStartsWithAUnit(t *testing.T) {
	f := newFixture(t, 2*unitSize/disc.SectorSize)
	sim := newSimWith(t, drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25, SpeedX: 1, TimeScale: 0.2})
	d := drive.New(sim, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, 10*time.Second)) // finalising takes 3 s
	dev := &lateAfterFirst{device: driveDevice{r: d, w: d}, stall: 8 * time.Millisecond}
	if _, err := copyTo(context.Background(), dev, f.job(t, sim, "job-1", []byte{0})); err != nil {
		t.Fatalf("copy = %v", err)
	}
	if dev.first != unitSize {
		t.Errorf("the first WRITE carried %d bytes, want a unit (%d)", dev.first, unitSize)
	}
	if s := sim.Stats(); s.Underruns != 0 || s.Streams == 0 {
		t.Errorf("drive stats: %d underruns (%v starved) in %d write streams, want none in at least one", s.Underruns, s.Starved, s.Streams)
	}
}

package burn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/drive"
	"copystation/keys"
	"copystation/simulator/drivesim"
)

// countingReader counts the bytes read from a package file.
type countingReader struct {
	f *os.File
	n atomic.Int64
}

func (r *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	r.n.Add(int64(n))
	return n, err
}

// openCounting opens the package at path with a copy's keys over a reader
// that counts what is read.
func openCounting(t *testing.T, path string, k *keys.CopyKeys) (*titlepkg.Package, *countingReader) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{f: fh}
	tk, err := TitleKeys(k)
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Wipe()
	p, err := titlepkg.OpenReader(cr, st.Size(), tk)
	if err != nil {
		t.Fatalf("OpenReader() = %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p, cr
}

// TestCopySinglePassReadsOnce: a copy of an installed package reads the
// package file once (the manifest and each chunk), not once to
// authenticate and once more to write, and the disc plays.
func TestCopySinglePassReadsOnce(t *testing.T) {
	f := newFixture(t, 900, [2]int{100, 40}, [2]int{600, 64})
	st, err := os.Stat(f.path)
	if err != nil {
		t.Fatal(err)
	}
	sim := newSim(t)
	job := f.job(t, sim, "job-1", []byte{0x40})
	var cr *countingReader
	job.Package, cr = openCounting(t, f.path, job.Keys)
	cr.n.Store(0) // what opening read
	job.SinglePass = true
	if _, err := Copy(context.Background(), newDrive(sim), job); err != nil {
		t.Fatalf("Copy(single pass) = %v", err)
	}
	// The copy skips the variant its codeword drops, so it reads at most
	// the file once.
	if got := cr.n.Load(); got > st.Size() || got < st.Size()/2 {
		t.Errorf("Copy(single pass) read %d bytes of a %d-byte package, want at most one read of it", got, st.Size())
	}
	img, _, err := play(t, sim)
	if err != nil || !bytes.Equal(img, f.want([]byte{0x40})) {
		t.Errorf("play() = %d bytes, %v; want the copy's image", len(img), err)
	}
}

// lbaWrites records the highest sector any WRITE command covers.
type lbaWrites struct {
	drive.Transport
	end atomic.Uint32 // one past the highest sector written
}

func (w *lbaWrites) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	var lba, n uint32
	switch {
	case len(cdb) >= 10 && cdb[0] == byte(drive.OpWrite10):
		lba, n = binary.BigEndian.Uint32(cdb[2:]), uint32(binary.BigEndian.Uint16(cdb[7:]))
	case len(cdb) >= 12 && cdb[0] == byte(drive.OpWrite12):
		lba, n = binary.BigEndian.Uint32(cdb[2:]), binary.BigEndian.Uint32(cdb[6:])
	}
	if n > 0 && lba+n > w.end.Load() {
		w.end.Store(lba + n)
	}
	return w.Transport.Do(cdb, dir, buf, timeout)
}

// TestCopySinglePassTamperedChunk: a package altered after it was
// installed passes nothing of the altered chunk, nor anything after it,
// to the drive; the copy stops with the disc spoiled and the chunk named.
func TestCopySinglePassTamperedChunk(t *testing.T) {
	for _, procs := range []int{1, 4} {
		t.Run("GOMAXPROCS="+string(rune('0'+procs)), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			f := newFixture(t, 1600) // 50 chunks of 64 KiB, no variants
			const bad = 20
			sim := newSim(t)
			job := f.job(t, sim, "job-1", nil)
			job.Package = tamperedPackage(t, f, bad)
			job.SinglePass = true
			w := &lbaWrites{Transport: sim}
			_, err := Copy(context.Background(), newDrive(w), job)
			var e *Error
			var ce *titlepkg.ChunkError
			if !errors.Is(err, ErrPackage) || !errors.As(err, &e) || e.Phase != PhaseWrite || !e.Spoiled || !errors.As(err, &ce) || ce.Index != bad {
				t.Fatalf("Copy(tampered chunk %d, single pass) = %v, want a spoiled %v in phase %q naming the chunk", bad, err, ErrPackage, PhaseWrite)
			}
			first := uint32(imageLBA) + bad*titlepkg.MinChunkSize/disc.SectorSize
			if end := w.end.Load(); end > first {
				t.Errorf("sectors up to %d were written, want none from %d (the tampered chunk's first)", end-1, first)
			}
		})
	}
}

// TestPipeFollowsGOMAXPROCS: the pipeline runs one worker per core the
// process may use, up to maxWorkers, with buffers bounded by the workers.
func TestPipeFollowsGOMAXPROCS(t *testing.T) {
	for _, tc := range []struct{ procs, workers int }{{1, 1}, {2, 2}, {4, 4}, {16, maxWorkers}} {
		old := runtime.GOMAXPROCS(tc.procs)
		p := newPipe()
		runtime.GOMAXPROCS(old)
		if p.workers != tc.workers || p.bufs != 2*tc.workers+2 {
			t.Errorf("newPipe() at GOMAXPROCS %d = %+v, want %d workers", tc.procs, p, tc.workers)
		}
	}
}

// TestCopySameAtAnyWorkerCount: one, two and eight workers (GOMAXPROCS),
// one pass or two, make the same disc: units sealed out of order are
// written in order, and the player reads the copy's image.
func TestCopySameAtAnyWorkerCount(t *testing.T) {
	f := newFixture(t, 5000, [2]int{511, 2}, [2]int{1024, 32}, [2]int{4990, 10}) // ten units, variants across unit edges
	cw := []byte{0b1010_0000}
	var first [32]byte
	for i, tc := range []struct {
		procs  int
		single bool
	}{{1, false}, {2, true}, {8, false}, {8, true}, {1, true}} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d single=%v", tc.procs, tc.single), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.procs))
			// The same seed: the same media ID, so the same disc key.
			sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			waitReady(t, sim)
			job := f.job(t, sim, "job-1", cw)
			job.SinglePass = tc.single
			// The same key block on every disc: its randomness is drawn once per copy.
			job.Players = &Players{Encrypter: job.Players.Encrypter, Rand: chacha(0x42)}
			res, err := Copy(context.Background(), newDrive(sim), job)
			if err != nil {
				t.Fatalf("Copy() = %v", err)
			}
			if i == 0 {
				first = res.DiscDigest
			} else if res.DiscDigest != first {
				t.Errorf("DiscDigest = %x, want %x (the disc made at GOMAXPROCS 1)", res.DiscDigest, first)
			}
			img, _, err := play(t, sim)
			if err != nil || !bytes.Equal(img, f.want(cw)) {
				t.Errorf("play() = %d bytes, %v; want the copy's image", len(img), err)
			}
		})
	}
}

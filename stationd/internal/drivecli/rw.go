package drivecli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"copystation/drive"
)

// ErrSpeed is a --speed the drive does not write the disc at.
var ErrSpeed = errors.New("write speed out of range")

// checkSpeed refuses a speed below 1x, or outside the write speeds the
// drive reports for the disc (GET PERFORMANCE), rather than quietly write
// at the nearest one. A drive that reports no speeds keeps its default
// (ChooseWriteSpeed says so).
func checkSpeed(ctx context.Context, d *drive.Drive, x int) error {
	switch {
	case x == 0:
		return nil // the drive's fastest
	case x < 0:
		return usageError(fmt.Sprintf("--speed %d: give a write speed in BD 1x units, 1 or more", x))
	}
	perf, err := drive.GetPerformance{Type: drive.PerfTypeWriteSpeed, MaxDescriptors: 32}.Execute(d.Transport())
	if err != nil {
		return nil
	}
	lo, hi := math.Inf(1), 0.0
	for _, s := range perf.Speeds {
		if s.WriteKBps == 0 {
			continue
		}
		v := float64(s.WriteKBps) * 1000 / drive.OneXBytesPerSecond
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == 0 {
		return nil
	}
	// Drives report speeds in kB/s, a little off whole multiples of 1x.
	const slack = 0.1
	if float64(x) > hi+slack || float64(x) < lo-slack {
		return fmt.Errorf("%w: --speed %d: the drive writes this disc at %.0fx to %.0fx; give --speed %d to %d",
			ErrSpeed, x, lo, hi, int(math.Ceil(lo-slack)), int(math.Floor(hi+slack)))
	}
	return nil
}

type writeArgs struct {
	image    string
	speed    int
	finalize bool
}

// write burns an image: wait ready, check the medium, pick the speed,
// stream the image from the next writable address, flush, close the track
// and finalise (BD-R), printing progress every 5%.
func write(ctx context.Context, d *drive.Drive, a writeArgs, stdout, stderr io.Writer) error {
	f, err := os.Open(a.image)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := d.WaitReady(ctx); err != nil {
		return err
	}
	mi, err := d.MediaInfo(ctx)
	if err != nil {
		return err
	}
	if mi.Erasable && mi.CapacitySectors == 0 {
		fmt.Fprintln(stderr, "formatting the BD-RE...")
		if err := d.Format(ctx); err != nil {
			return err
		}
		if mi, err = d.MediaInfo(ctx); err != nil {
			return err
		}
	}
	start := mi.NextWritable
	switch {
	case mi.State == drive.StateComplete:
		return fmt.Errorf("the disc is finalised; load a blank one")
	case mi.State == drive.StateRandomAccess:
		start, mi.FreeSectors = 0, mi.CapacitySectors
	case !mi.NextWritableValid:
		return fmt.Errorf("the drive reports no next writable address on this %s disc", mi.State)
	}
	need := (st.Size() + drive.SectorSize - 1) / drive.SectorSize
	if need > int64(mi.FreeSectors) {
		return fmt.Errorf("the image needs %d sectors, the disc has %d free", need, mi.FreeSectors)
	}
	if err := checkSpeed(ctx, d, a.speed); err != nil {
		return err
	}
	maxX := a.speed
	if maxX == 0 {
		maxX = math.MaxInt32 // the fastest the drive reports
	}
	if sp, err := d.ChooseWriteSpeed(ctx, maxX); err != nil {
		fmt.Fprintf(stderr, "keeping the drive's default speed: %v\n", err)
	} else {
		fmt.Fprintf(stderr, "writing at %.1fx (%d kB/s)\n", sp.X, sp.KBps)
	}
	next := int64(5)
	res, err := d.WriteImage(ctx, f, drive.WriteOptions{StartLBA: start, Total: st.Size(), Progress: func(p drive.WriteProgress) {
		if p.Total > 0 && p.Bytes*100 >= next*p.Total {
			fmt.Fprintf(stderr, "%3d%%  %d of %d bytes\n", p.Bytes*100/p.Total, p.Bytes, p.Total)
			next = p.Bytes*100/p.Total + 5
		}
	}})
	if err != nil {
		return err
	}
	if err := d.SynchronizeCache(ctx); err != nil {
		return err
	}
	if mi.State != drive.StateRandomAccess {
		if err := d.CloseTrack(ctx, mi.OpenTrack); err != nil {
			return err
		}
		closeFn := d.CloseSession
		if a.finalize {
			closeFn = d.Finalize
		}
		if err := closeFn(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %d bytes (%d sectors) at LBA %d..%d\n", res.Bytes, res.Sectors, start, res.NextLBA-1)
	return nil
}

// read copies sectors from LBA 0 into out, through a temporary file
// renamed into place only when complete.
func read(ctx context.Context, d *drive.Drive, out string, sectors uint32, stdout io.Writer) error {
	if err := d.WaitReady(ctx); err != nil {
		return err
	}
	if sectors == 0 {
		mi, err := d.MediaInfo(ctx)
		if err != nil {
			return err
		}
		if mi.State == drive.StateBlank {
			return fmt.Errorf("the disc is blank; nothing to read")
		}
		sectors = mi.LastRecorded + 1
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	buf := make([]byte, drive.ClusterSize)
	for lba := uint32(0); lba < sectors; {
		n := min(sectors-lba, drive.ClusterSectors)
		p := buf[:n*drive.SectorSize]
		if err := d.Read(ctx, lba, p); err != nil {
			return err
		}
		if _, err := tmp.Write(p); err != nil {
			return err
		}
		lba += n
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "read %d sectors (%d bytes) into %s\n", sectors, uint64(sectors)*drive.SectorSize, out)
	return nil
}

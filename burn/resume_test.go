package burn

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

var errCut = errors.New("the station died here")

// cutDevice lets left writes through, then fails every one, as a station
// that died mid-write leaves a disc.
type cutDevice struct {
	device
	left int
}

func (c *cutDevice) write(ctx context.Context, lba uint32, p []byte) error {
	if c.left == 0 {
		return errCut
	}
	c.left--
	return c.device.write(ctx, lba, p)
}

// TestCopyResume: a copy cut off after some units continues from the
// drive's next writable address on the same BD-R and plays back whole; a
// resume under another copy's keys is caught by the verify (what is on the
// disc is not that copy's); Resume on a blank writes from the start.
func TestCopyResume(t *testing.T) {
	f := newFixture(t, 5000, [2]int{1024, 32})
	cw := []byte{0x80}
	tests := []struct {
		name    string
		cut     int // writes let through before the cut (-1: no first copy)
		again   string
		wantErr error
	}{
		{name: "cut in the image", cut: 4, again: "job-1"},
		{name: "cut after the header", cut: 1, again: "job-1"},
		{name: "cut before the table", cut: 11, again: "job-1"},
		{name: "another copy's keys", cut: 4, again: "job-2", wantErr: ErrVerify},
		{name: "blank", cut: -1, again: "job-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t)
			if tc.cut >= 0 {
				dev := &cutDevice{device: driveDevice{r: newDrive(sim), w: newDrive(sim)}, left: tc.cut}
				if _, err := copyTo(context.Background(), dev, f.job(t, sim, "job-1", cw)); !errors.Is(err, errCut) {
					t.Fatalf("first Copy() = %v, want cut off", err)
				}
			}
			job := f.job(t, sim, tc.again, cw)
			job.Resume = true
			_, err := Copy(context.Background(), newDrive(sim), job)
			if tc.wantErr != nil {
				var e *Error
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &e) || !e.Spoiled {
					t.Fatalf("resumed Copy() = %v, want %v on a spoiled disc", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resumed Copy() = %v, want nil", err)
			}
			img, h, err := play(t, sim)
			if err != nil || !bytes.Equal(img, f.want(cw)) || h.CopyID != "job-1" {
				t.Fatalf("ReadDisc() after the resumed copy = %v (image equal %v), want the whole copy", err, bytes.Equal(img, f.want(cw)))
			}
		})
	}
}

// TestResumeCutInHeaderRegion: a copy cut off inside a large header
// region, after its key block, continues with the key block on the disc
// (drawn at random, it can't be made again) and plays whole; one resumed
// under another copy's keys is spoiled before anything is written.
func TestResumeCutInHeaderRegion(t *testing.T) {
	f := newFixture(t, 5000, [2]int{1024, 32})
	cw := []byte{0x80}
	for _, tc := range []struct {
		name, again string
		wantErr     error
	}{
		{"same copy", "job-1", nil},
		{"another copy's keys", "job-2", ErrVerify},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t)
			job := f.job(t, sim, "job-1", cw)
			job.Keys.Format.HeaderSectors = 1024 // the first 1 MiB unit ends inside it
			dev := &cutDevice{device: driveDevice{r: newDrive(sim), w: newDrive(sim)}, left: 1}
			if _, err := copyTo(context.Background(), dev, job); !errors.Is(err, errCut) {
				t.Fatalf("first Copy() = %v, want cut off", err)
			}
			again := f.job(t, sim, tc.again, cw)
			again.Keys.Format.HeaderSectors = 1024
			again.Resume = true
			_, err := Copy(context.Background(), newDrive(sim), again)
			if tc.wantErr != nil {
				var e *Error
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &e) || !e.Spoiled {
					t.Fatalf("resumed Copy() = %v, want %v on a spoiled disc", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resumed Copy() = %v, want nil", err)
			}
			if img, _, err := play(t, sim); err != nil || !bytes.Equal(img, f.want(cw)) {
				t.Fatalf("ReadDisc() after the resumed copy = %v", err)
			}
		})
	}
}

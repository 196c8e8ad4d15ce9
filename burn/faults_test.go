package burn

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"copystation/burn/disc"
	"copystation/custody/playertree"
	"copystation/custody/playertree/playertreetest"
	"copystation/drive"
	"copystation/simulator/drivesim"
)

// The fixture used below: 200 image sectors from LBA 32, so the image is
// LBA 32..255 and the integrity table LBA 256..287.
const (
	faultImageSectors = 200
	imageLBA          = 32
	tableLBA          = 32 + 224
)

func TestCopyDriveFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   drivesim.Fault
		phase   Phase
		lba     uint32
		wantErr error
	}{
		{"write error in the image", drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: imageLBA + 70}, PhaseWrite, imageLBA + 70, drive.ErrWriteError},
		{"write error in the header", drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: 5}, PhaseWrite, 5, drive.ErrWriteError},
		{"write error in the table", drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: tableLBA + 1}, PhaseWrite, tableLBA + 1, drive.ErrWriteError},
		{"unreadable sector on read-back", drivesim.Fault{Kind: drivesim.FaultMediumError, LBA: imageLBA + 100, Ops: []drive.Opcode{drive.OpRead12}}, PhaseVerify, imageLBA + 100, drive.ErrUnrecoveredRead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, faultImageSectors, [2]int{10, 4})
			sim := newSim(t, tc.fault)
			_, err := Copy(context.Background(), newDrive(sim), f.job(t, sim, "job-1", []byte{0x80}))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Copy() = %v, want *Error", err)
			}
			if e.Phase != tc.phase || !e.HasLBA || e.LBA != tc.lba || !e.Spoiled || !errors.Is(err, tc.wantErr) {
				t.Errorf("Copy() = %+v (%v), want phase %q, LBA %d, spoiled, wrapping %v", *e, err, tc.phase, tc.lba, tc.wantErr)
			}
			var se *drive.SenseError
			if !errors.As(err, &se) {
				t.Errorf("Copy() = %v, want the drive's sense inside", err)
			}
		})
	}
}

// TestCopyVerifyMismatch alters the disc behind the drive's back once
// everything is written and synced: the read-back must name the sector.
func TestCopyVerifyMismatch(t *testing.T) {
	tests := []struct {
		name    string
		sectors int      // image size
		corrupt []uint32 // LBAs whose bytes are flipped
		want    uint32   // LBA reported
	}{
		{"image sector", faultImageSectors, []uint32{imageLBA + 77}, imageLBA + 64}, // its cluster's first sector
		{"header sector", faultImageSectors, []uint32{3}, 3},
		{"table sector", faultImageSectors, []uint32{tableLBA}, tableLBA},
		// Units of 16 clusters are checked by two goroutines: the first
		// bad cluster in disc order is reported, whichever is checked first.
		{"two clusters in different units", 1200, []uint32{imageLBA + 1100, imageLBA + 530}, imageLBA + 512},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.sectors, [2]int{10, 4})
			dir := t.TempDir()
			sim := newSimIn(t, dir)
			job := f.job(t, sim, "job-1", []byte{0x80})
			file := filepath.Join(dir, "disc-"+hex.EncodeToString(job.MediaID)+".img")
			job.Progress = func(p Progress) error {
				if p.Phase == PhaseVerify && p.Done == 0 {
					for _, lba := range tc.corrupt {
						flipByte(t, file, int64(lba)*disc.SectorSize+100)
					}
				}
				return nil
			}
			_, err := Copy(context.Background(), newDrive(sim), job)
			var e *Error
			if !errors.As(err, &e) || e.Phase != PhaseVerify || e.LBA != tc.want || !e.HasLBA || !e.Spoiled || !errors.Is(err, ErrVerify) {
				t.Errorf("Copy() = %v, want a spoiled verification failure at LBA %d", err, tc.want)
			}
		})
	}
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open disc file: %v", err)
	}
	defer fh.Close()
	b := make([]byte, 1)
	if _, err := fh.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := fh.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestCopyCancel(t *testing.T) {
	f := newFixture(t, 2000)
	sim := newSim(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job := f.job(t, sim, "job-1", nil)
	job.Progress = func(p Progress) error {
		if p.Phase == PhaseWrite && p.Done == 0 {
			cancel()
		}
		return nil
	}
	_, err := Copy(ctx, newDrive(sim), job)
	var e *Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || e.Phase != PhaseWrite {
		t.Errorf("Copy(cancelled while writing) = %v, want context.Canceled in phase %q", err, PhaseWrite)
	}
	stop := errors.New("stop")
	job.Progress = func(p Progress) error {
		if p.Phase == PhaseCheck {
			return stop
		}
		return nil
	}
	sim2 := newSim(t)
	job2 := f.job(t, sim2, "job-3", nil)
	job2.Progress = job.Progress
	if _, err := Copy(context.Background(), newDrive(sim2), job2); !errors.Is(err, stop) || err.(*Error).Spoiled {
		t.Errorf("Copy(progress says stop) = %v, want %v, not spoiled", err, stop)
	}
}

// TestPlayerRefusesClone copies every sector of a made disc onto another
// blank, as a disc copier does: the clone must not play.
func TestPlayerRefusesClone(t *testing.T) {
	f := newFixture(t, 100, [2]int{4, 2})
	sim := newSim(t)
	res, err := Copy(context.Background(), newDrive(sim), f.job(t, sim, "job-1", []byte{0x40}))
	if err != nil {
		t.Fatalf("Copy() = %v", err)
	}
	all := make([]byte, int(res.Layout.Sectors())*disc.SectorSize)
	if err := (drive.Read12{LBA: 0, Blocks: uint32(res.Layout.Sectors()), Buf: all}).Execute(sim); err != nil {
		t.Fatalf("reading the original: %v", err)
	}
	old, err := sim.Remove()
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	if err := sim.Insert(drivesim.BDR25); err != nil {
		t.Fatal(err)
	}
	waitReady(t, sim)
	if err := (drive.Write12{LBA: 0, Blocks: uint32(res.Layout.Sectors()), Data: all}).Execute(sim); err != nil {
		t.Fatalf("writing the clone: %v", err)
	}
	if err := (drive.SynchronizeCache{}).Execute(sim); err != nil {
		t.Fatal(err)
	}
	_, _, err = play(t, sim)
	if !errors.Is(err, ErrClone) {
		t.Errorf("ReadDisc(clone) = %v, want %v", err, ErrClone)
	}
}

func TestPlayerChecksIntegrity(t *testing.T) {
	f := newFixture(t, faultImageSectors)
	dir := t.TempDir()
	sim := newSimIn(t, dir)
	job := f.job(t, sim, "job-1", nil)
	if _, err := Copy(context.Background(), newDrive(sim), job); err != nil {
		t.Fatalf("Copy() = %v", err)
	}
	flipByte(t, filepath.Join(dir, "disc-"+hex.EncodeToString(job.MediaID)+".img"), (imageLBA+130)*disc.SectorSize)
	var out bytes.Buffer
	_, err := ReadDisc(context.Background(), newDrive(sim), testPlayer(t), &out, ReadOptions{})
	var e *Error
	if !errors.Is(err, ErrIntegrity) || !errors.As(err, &e) || e.LBA != imageLBA+128 {
		t.Errorf("ReadDisc(altered sector) = %v, want %v at LBA %d", err, ErrIntegrity, imageLBA+128)
	}
	if out.Len() > 128*disc.SectorSize {
		t.Errorf("ReadDisc() released %d bytes, want at most the %d before the altered cluster", out.Len(), 128*disc.SectorSize)
	}
	other := playertreetest.New(t, testPlayer(t).Tree, "another network").Enroll(t, 5)
	if _, err := ReadDisc(context.Background(), newDrive(sim), other, &out, ReadOptions{}); !errors.Is(err, playertree.ErrKeyBlock) {
		t.Errorf("ReadDisc(a player of another network) = %v, want %v", err, playertree.ErrKeyBlock)
	}
}

package burn

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestCopyBDRE copies onto a formatted BD-RE: no track to close, the disc
// stays rewritable, and it plays.
func TestCopyBDRE(t *testing.T) {
	f := newFixture(t, 300, [2]int{7, 3})
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDRE25})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := newDrive(sim)
	ctx := context.Background()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Format(ctx); err != nil {
		t.Fatalf("Format() = %v", err)
	}
	job := f.job(t, sim, "job-re", []byte{0x80})
	job.Keys.Format.Profile, job.Keys.Format.Finalize = uint16(drive.ProfileBDRE), false
	if _, err := Copy(ctx, d, job); err != nil {
		t.Fatalf("Copy(BD-RE) = %v", err)
	}
	img, h, err := play(t, sim)
	if err != nil || !bytes.Equal(img, f.want([]byte{0x80})) || h.Profile != uint16(drive.ProfileBDRE) || h.Finalized {
		t.Errorf("ReadDisc(BD-RE) = %d bytes, %+v, %v; want the image, profile 0x43, not finalised", len(img), h, err)
	}
}

// TestCopyPackageChangedBetweenPasses: the package passes the first pass
// and is altered before the second reaches it; the copy stops with the
// disc spoiled.
func TestCopyPackageChangedBetweenPasses(t *testing.T) {
	f := newFixture(t, 400)
	sim := newSim(t)
	job := f.job(t, sim, "job-1", nil)
	m := f.pkg.Manifest()
	job.Progress = func(p Progress) error {
		if p.Phase == PhaseCheck {
			flipByte(t, f.path, int64(m.Size())+3*(int64(m.ChunkSize)+16)+99) // chunk 3
		}
		return nil
	}
	_, err := Copy(context.Background(), newDrive(sim), job)
	var e *Error
	if !errors.Is(err, ErrPackage) || !errors.As(err, &e) || e.Phase != PhaseWrite || !e.Spoiled {
		t.Errorf("Copy(package altered after authentication) = %v, want a spoiled %v in phase %q", err, ErrPackage, PhaseWrite)
	}
}

func TestProgressEvents(t *testing.T) {
	f := newFixture(t, 3000)
	sim := newSim(t)
	job := f.job(t, sim, "job-1", nil)
	job.Clock = &fakeClock{}
	var events []Progress
	job.Progress = func(p Progress) error { events = append(events, p); return nil }
	if _, err := Copy(context.Background(), newDrive(sim), job); err != nil {
		t.Fatal(err)
	}
	var last Progress
	for _, p := range events {
		if p.Phase == last.Phase && p.Done < last.Done {
			t.Errorf("progress went back: %+v after %+v", p, last)
		}
		if p.Done > 0 && p.Total > 0 && (p.Rate <= 0 || p.Done < p.Total && p.ETA <= 0) {
			t.Errorf("event %+v has no rate or ETA", p)
		}
		last = p
	}
	var writes []Progress
	for _, p := range events {
		if p.Phase == PhaseWrite {
			writes = append(writes, p)
		}
	}
	if len(writes) < 2 || writes[len(writes)-1].Done != writes[0].Total {
		t.Errorf("write events = %+v, want a start and an end at Total", writes)
	}
	// The fake clock ticks 1 s per reading: a phase's rate is bytes over
	// whole seconds, and the ETA the rest at that rate.
	w := writes[len(writes)/2]
	if want := time.Duration(float64(w.Total-w.Done) / w.Rate * float64(time.Second)); w.ETA != want {
		t.Errorf("ETA = %v, want %v", w.ETA, want)
	}
}

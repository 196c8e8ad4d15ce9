package daemon

import (
	"context"
	"testing"

	"copystation/simulator/drivesim"
)

func TestMMCDriveOnSimulator(t *testing.T) {
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := NewMMCDrive(sim, "sim0")
	ctx := context.Background()
	m, err := d.MediaInfo(ctx)
	if err != nil || m.Present {
		t.Fatalf("MediaInfo(empty) = %+v, %v, want not present", m, err)
	}
	if err := sim.Insert(drivesim.BDR25); err != nil {
		t.Fatal(err)
	}
	m, err = d.MediaInfo(ctx)
	if err != nil {
		t.Fatalf("MediaInfo(blank) = %v", err)
	}
	if !m.Present || !m.Blank || m.Profile != 0x41 || len(m.MediaID) != 16 || m.CapacitySectors != 12219392 {
		t.Errorf("MediaInfo(blank BD-R) = %+v, want present blank profile 0x41, 16-byte ID, 12219392 sectors", m)
	}
	again, _ := d.MediaInfo(ctx)
	if string(again.MediaID) != string(m.MediaID) {
		t.Errorf("media ID changed between reads: %x then %x", m.MediaID, again.MediaID)
	}
	disc, _ := sim.Remove()
	disc.Close()
	sim.Insert(drivesim.BDR25)
	other, _ := d.MediaInfo(ctx)
	if string(other.MediaID) == string(m.MediaID) {
		t.Errorf("two blanks share media ID %x", m.MediaID)
	}
}

// TestMMCDriveDiscInOpenTray checks that a disc left in an open tray (it
// reads "medium not present, tray open") is seen: the tray is closed and
// the disc reported, so no robot tries to load a blank over it.
func TestMMCDriveDiscInOpenTray(t *testing.T) {
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := NewMMCDrive(sim, "sim0")
	ctx := context.Background()
	if err := sim.Insert(drivesim.BDR25); err != nil {
		t.Fatal(err)
	}
	if err := d.D.Eject(ctx); err != nil {
		t.Fatal(err)
	}
	if !sim.TrayOpen() || !sim.HasDisc() {
		t.Fatalf("after Eject: tray open %v, disc %v; want an open tray holding the disc", sim.TrayOpen(), sim.HasDisc())
	}
	m, err := d.MediaInfo(ctx)
	if err != nil || !m.Present || !m.Blank || len(m.MediaID) != 16 {
		t.Fatalf("MediaInfo(disc in open tray) = %+v, %v; want the blank present with its media ID", m, err)
	}
	if sim.TrayOpen() {
		t.Errorf("tray still open after MediaInfo, want it closed on the disc")
	}
	if disc, err := sim.Remove(); err == nil {
		disc.Close()
	}
	if err := d.D.Eject(ctx); err != nil {
		t.Fatal(err)
	}
	if m, err := d.MediaInfo(ctx); err != nil || m.Present {
		t.Errorf("MediaInfo(open empty tray) = %+v, %v; want not present", m, err)
	}
}

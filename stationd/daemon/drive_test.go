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

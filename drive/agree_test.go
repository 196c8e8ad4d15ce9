package drive_test

import (
	"errors"
	"testing"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestCommandsAgainstSimulator executes every command struct against the
// simulator, which decodes the same MMC field layouts independently, and
// checks that each answer parses into what the medium holds.
func TestCommandsAgainstSimulator(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDR25, Seed: 2})
	for range 4 { // the power-on and new-medium unit attentions
		drive.TestUnitReady{}.Execute(sim)
	}
	check := func(name string, err error, ok bool) {
		t.Helper()
		if err != nil || !ok {
			t.Errorf("%s: err %v, answer as expected %v", name, err, ok)
		}
	}
	err := drive.TestUnitReady{}.Execute(sim)
	check("TEST UNIT READY", err, true)
	inq, err := drive.Inquiry{}.Execute(sim)
	check("INQUIRY", err, err == nil && inq.PeripheralType == 5 && inq.Vendor != "")
	s, err := drive.RequestSense{Desc: true}.Execute(sim)
	check("REQUEST SENSE descriptor", err, err == nil && s.ResponseCode == drive.SenseDescriptorCurrent && s.Key == drive.KeyNoSense)
	s, err = drive.RequestSense{}.Execute(sim)
	check("REQUEST SENSE fixed", err, err == nil && s.ResponseCode == drive.SenseFixedCurrent)
	cfg, err := drive.GetConfiguration{}.Execute(sim)
	bdw := false
	if err == nil {
		_, bdw = cfg.Feature(drive.FeatureBDWriteFeature)
	}
	check("GET CONFIGURATION", err, err == nil && cfg.CurrentProfile == drive.ProfileBDRSRM && bdw && len(cfg.Profiles()) > 0)
	one, err := drive.GetConfiguration{RT: drive.RTOne, StartingFeature: drive.FeatureCore}.Execute(sim)
	check("GET CONFIGURATION RT=2", err, err == nil && len(one.Features) == 1 && one.Features[0].Code == drive.FeatureCore)
	ev, err := drive.GetEventStatusNotification{Polled: true, ClassRequest: drive.EventClassMedia}.Execute(sim)
	check("GET EVENT STATUS NOTIFICATION", err, err == nil && ev.Class == 4 && ev.MediaPresent && !ev.DoorOpen)
	di, err := drive.ReadDiscInformation{}.Execute(sim)
	check("READ DISC INFORMATION", err, err == nil && di.Status == drive.DiscEmpty && !di.Erasable)
	ti, err := drive.ReadTrackInformation{AddressType: drive.TrackAddrTrack, Number: 1}.Execute(sim)
	check("READ TRACK INFORMATION", err, err == nil && ti.Track == 1 && ti.NWAValid && ti.NextWritable == 0 && ti.Blank)
	c, err := drive.ReadCapacity{}.Execute(sim)
	check("READ CAPACITY", err, err == nil && c.BlockLength == drive.SectorSize)
	fc, err := drive.ReadFormatCapacities{}.Execute(sim)
	check("READ FORMAT CAPACITIES", err, err == nil && fc.CurrentBlocks == drive.BDRSingleLayer && fc.CurrentType == drive.CapacityFormatted)
	ds, err := drive.ReadDiscStructure{MediaType: drive.StructureMediaBD, Format: drive.FormatAACSMediaID, AllocationLength: 36}.Execute(sim)
	if err == nil {
		_, _, err = ds.AACSMediaID()
	}
	check("READ DISC STRUCTURE 86h", err, true)
	perf, err := drive.GetPerformance{Type: drive.PerfTypeWriteSpeed}.Execute(sim)
	check("GET PERFORMANCE write speeds", err, err == nil && len(perf.Speeds) > 0 && perf.Speeds[0].WriteKBps > 0)
	nom, err := drive.GetPerformance{DataType: 0x14, Type: drive.PerfTypeNominal}.Execute(sim)
	check("GET PERFORMANCE nominal", err, err == nil && len(nom.Nominal) > 0)
	err = drive.SetStreaming{EndLBA: drive.BDRSingleLayer - 1, ReadSize: 18000, ReadTime: 1000, WriteSize: 18000, WriteTime: 1000}.Execute(sim)
	check("SET STREAMING", err, true)
	mp, err := drive.ModeSense10{PageCode: drive.ModePageAll}.Execute(sim)
	check("MODE SENSE(10)", err, err == nil && len(mp.Pages) > 0)
	err = drive.PreventAllowMediumRemoval{Prevent: true}.Execute(sim)
	check("PREVENT MEDIUM REMOVAL", err, true)
	err = drive.StartStopUnit{LoEj: true}.Execute(sim)
	var se *drive.SenseError
	if !errors.As(err, &se) || se.Code() != drive.ASCMediumRemovalPrevented {
		t.Errorf("START STOP UNIT eject while locked = %v, want 05/53/02", err)
	}
	err = drive.PreventAllowMediumRemoval{}.Execute(sim)
	check("ALLOW MEDIUM REMOVAL", err, true)
	err = drive.ReserveTrack{Size: 1024}.Execute(sim)
	check("RESERVE TRACK", err, true)
	data := make([]byte, 2*drive.SectorSize)
	err = drive.Write10{LBA: 0, Blocks: 2, Data: data}.Execute(sim)
	check("WRITE(10)", err, true)
	err = drive.Write12{LBA: 2, Blocks: 2, Streaming: true, Data: data}.Execute(sim)
	check("WRITE(12)", err, true)
	err = drive.SynchronizeCache{}.Execute(sim)
	check("SYNCHRONIZE CACHE", err, true)
	err = drive.Read10{LBA: 0, Blocks: 2, Buf: data}.Execute(sim)
	check("READ(10)", err, true)
	err = drive.Read12{LBA: 2, Blocks: 2, Buf: data}.Execute(sim)
	check("READ(12)", err, true)
	err = drive.CloseTrackSession{Function: drive.CloseTrack, Number: 1}.Execute(sim)
	check("CLOSE TRACK", err, true)
	err = drive.CloseTrackSession{Function: drive.CloseFinalize}.Execute(sim)
	check("CLOSE SESSION AND FINALISE", err, true)
	di, err = drive.ReadDiscInformation{}.Execute(sim)
	check("READ DISC INFORMATION after finalise", err, err == nil && di.Status == drive.DiscComplete)
	err = drive.StartStopUnit{LoEj: true}.Execute(sim)
	check("START STOP UNIT eject", err, sim.TrayOpen())
	err = drive.StartStopUnit{LoEj: true, Start: true}.Execute(sim)
	check("START STOP UNIT load", err, !sim.TrayOpen())
}

func TestFormatUnitAgainstSimulator(t *testing.T) {
	sim := newSim(t, drivesim.Options{Media: drivesim.BDRE25})
	for range 4 {
		drive.TestUnitReady{}.Execute(sim)
	}
	fc, err := drive.ReadFormatCapacities{}.Execute(sim)
	if err != nil || fc.CurrentType != drive.CapacityUnformatted || len(fc.Formattable) == 0 {
		t.Fatalf("READ FORMAT CAPACITIES (unformatted BD-RE) = %+v, %v", fc, err)
	}
	f := fc.Formattable[len(fc.Formattable)-1]
	if err := (drive.FormatUnit{Blocks: f.Blocks, FormatType: f.FormatType, Param: f.Param}).Execute(sim); err != nil {
		t.Fatalf("FORMAT UNIT type 0x%02X = %v", f.FormatType, err)
	}
	fc, err = drive.ReadFormatCapacities{}.Execute(sim)
	if err != nil || fc.CurrentType != drive.CapacityFormatted || fc.CurrentBlocks != f.Blocks {
		t.Errorf("READ FORMAT CAPACITIES after format = %+v, %v; want formatted, %d blocks", fc, err, f.Blocks)
	}
}

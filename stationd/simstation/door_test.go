package simstation

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/kiosk"
)

// TestDoorHoldsRobot runs the door interlock against the real stand-ins:
// with the door open the robot (robotsim over its line) takes no blank and
// the simulated drive's tray stays closed and empty; once the door closes
// the job is done on one blank.
func TestDoorHoldsRobot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 4<<20, 4)
	if err := nw.Mint(ctx, "tok", "film", keys.Signing); err != nil {
		t.Fatal(err)
	}
	door := &gpiotest.Pin{N: "door"}
	door.Out(gpio.High) // open
	panel := func(_ config.Config, wipe func()) (*kiosk.Panel, error) {
		return kiosk.New(kiosk.Pins{Door: door, Tamper: &gpiotest.Pin{N: "tamper"}, Ready: &gpiotest.Pin{N: "ready"},
			Busy: &gpiotest.Pin{N: "busy"}, ErrorLight: &gpiotest.Pin{N: "error"}}, "open-sesame", wipe)
	}
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw), Panel: panel})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the robot's move held by the open door", func() bool {
		s, err := st.Client.Status(ctx)
		return err == nil && s.DoorOpen && s.DiscMovesHeld == 1
	})
	in, out, rej, err := st.Robot.Bins(ctx)
	if err != nil || in != 10 || out != 0 || rej != 0 {
		t.Errorf("robot bins with the door open = %d/%d/%d (%v), want 10/0/0: no disc moved", in, out, rej, err)
	}
	if d := st.Drives[0]; d.HasDisc() || d.TrayOpen() {
		t.Errorf("drive with the door open: disc %v, tray open %v; want empty and closed (untouched)", d.HasDisc(), d.TrayOpen())
	}
	if x, _ := st.Client.Job(ctx, j.ID); x.State != job.MediaCheck {
		t.Errorf("job with the door open = %s, want media_check", x.State)
	}
	door.Out(gpio.Low)
	var done *api.Job
	waitFor(t, "done", func() bool {
		done, _ = st.Client.Job(ctx, j.ID)
		return done.State.Terminal()
	})
	if done.State != job.Done || done.Attempt != 1 {
		t.Fatalf("job after the door closed = %s attempt %d (%s), want done on the first blank", done.State, done.Attempt, done.Reason)
	}
	if in, out, _, err := st.Robot.Bins(ctx); err != nil || in != 9 || out != 1 {
		t.Errorf("robot bins after the door closed = input %d, output %d (%v); want 9 and 1", in, out, err)
	}
}

package simstation

import (
	"context"
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/kiosk"
)

// TestTamperDuringBurn trips the tamper switch while a real burn writes to
// the simulated drive: keys wiped, the blank spoiled and reported, new jobs
// refused; after the clear the job finishes on a new blank under the same
// spend.
func TestTamperDuringBurn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 32<<20, 5)
	if err := nw.Mint(ctx, "tok", "film", keys.Signing); err != nil {
		t.Fatal(err)
	}
	door, tamper := &gpiotest.Pin{N: "door"}, &gpiotest.Pin{N: "tamper"}
	ready, busy, errl := &gpiotest.Pin{N: "ready"}, &gpiotest.Pin{N: "busy"}, &gpiotest.Pin{N: "error"}
	panel := func(_ config.Config, wipe func()) (*kiosk.Panel, error) {
		return kiosk.New(kiosk.Pins{Door: door, Tamper: tamper, Ready: ready, Busy: busy, ErrorLight: errl}, "open-sesame", wipe)
	}
	// 1x sped up 10 times: 32 MiB take about 0.7 s to write.
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw), SpeedX: 1, TimeScale: 0.1, Panel: panel})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "writing", func() bool {
		x, _ := st.Client.Job(ctx, j.ID)
		return x.State == job.Writing && x.Progress != nil && x.Progress.Phase == "writing"
	})
	held := st.Daemon.Keys().Get(j.ID)
	if held == nil || busy.Read() != gpio.High {
		t.Fatalf("while writing: keys held %v, busy LED %v; want keys and busy on", held != nil, busy.Read())
	}
	tamper.Out(gpio.High)
	waitFor(t, "spoiled", func() bool {
		x, _ := st.Client.Job(ctx, j.ID)
		return x.State == job.Spoiled
	})
	if st.Daemon.Keys().Len() != 0 || !allZero(held.DiscKey) || !allZero(held.BaseKey) {
		t.Errorf("after tamper: %d jobs' keys held, disc key %x; want none, zeroed", st.Daemon.Keys().Len(), held.DiscKey)
	}
	if errl.Read() != gpio.High || ready.Read() != gpio.Low {
		t.Errorf("LEDs after tamper: error %v ready %v, want error on, ready off", errl.Read(), ready.Read())
	}
	var ae *api.Error
	if _, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok2"}); !errors.As(err, &ae) || ae.Code != "tampered" {
		t.Errorf("Burn while tampered = %v, want refused (tampered)", err)
	}
	tamper.Out(gpio.Low)
	if err := st.Client.ClearTamper(ctx, "open-sesame"); err != nil {
		t.Fatalf("ClearTamper = %v", err)
	}
	var done *api.Job
	waitFor(t, "done", func() bool {
		done, _ = st.Client.Job(ctx, j.ID)
		return done.State.Terminal()
	})
	if done.State != job.Done || done.Attempt != 2 {
		t.Fatalf("job = %s after %d attempts (%s), want done on the second blank", done.State, done.Attempt, done.Reason)
	}
	c, err := nw.Copy(j.ID)
	if err != nil || len(c.Attempts) != 2 || c.Attempts[0].Outcome != "spoiled" || c.Attempts[1].Outcome != "made" {
		t.Errorf("ledger copy = %+v, %v; want one spend with a spoiled then a made attempt", c, err)
	}
	if _, out, rejected, err := st.Robot.Bins(ctx); err != nil || out != 1 || rejected != 1 {
		t.Errorf("robot bins: output %d, rejected %d (%v); want 1 and 1", out, rejected, err)
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

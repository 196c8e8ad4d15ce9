package simstation

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"copystation/drive"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
)

// TestTowerSharesOneRobot burns three copies on a tower of two simulated
// drives served by one simulated robot, the drives with 2 MiB write
// buffers (Options.DriveBuffer), which they report as a drive does.
func TestTowerSharesOneRobot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 16<<20, 6)
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw), Drives: 2, Blanks: 5, SpeedX: 1, TimeScale: 0.05, DriveBuffer: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	var ids []string
	for i := range 3 {
		tok := fmt.Sprintf("tok-%d", i)
		if err := nw.Mint(ctx, tok, "film", keys.Signing); err != nil {
			t.Fatal(err)
		}
		j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: tok})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	drives := map[int]bool{}
	for _, id := range ids {
		j := waitJob(t, st.Client, id, time.Minute)
		if j.State != job.Done {
			t.Fatalf("job %s = %s (%s), want done", id, j.State, j.Reason)
		}
		drives[j.Drive] = true
	}
	if len(drives) != 2 {
		t.Errorf("jobs ran on drives %v, want both drives used", drives)
	}
	if in, out, rej, err := st.Robot.Bins(ctx); err != nil || in != 2 || out != 3 || rej != 0 {
		t.Errorf("robot bins in/out/reject = %d/%d/%d (%v), want 2/3/0", in, out, rej, err)
	}
	for i, d := range st.Drives {
		// MM capabilities page (2Ah), bytes 12-13: the buffer in KiB.
		m, err := drive.ModeSense10{PageCode: drive.ModePageCapabilities}.Execute(d)
		if err != nil || len(m.Pages) != 1 || len(m.Pages[0].Data) < 12 {
			t.Fatalf("drive %d: MODE SENSE page 2Ah = %+v, %v", i, m, err)
		}
		if kb := binary.BigEndian.Uint16(m.Pages[0].Data[10:12]); kb != 2048 {
			t.Errorf("drive %d reports a %d KiB buffer, want 2048", i, kb)
		}
	}
}

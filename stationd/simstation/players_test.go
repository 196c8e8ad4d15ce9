package simstation

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/internal/disccli"
	"copystation/stationd/job"
	"copystation/validatord/vault"
)

// TestRevokedPlayer is issue 12's must-show for players, end to end: two
// players enrolled on a real embedded node (the enrollment transaction,
// the node's partials from its vault share, the maker's combination);
// the simulated station burns a disc; the operator revokes one player;
// the station burns a second disc, its key block written for the revoked
// set the node released at that spend's height. `stationd disc check
// --device-keys` then plays both discs with the unrevoked player's keys,
// the first disc with the revoked player's keys, and refuses the second
// disc to the revoked player.
func TestRevokedPlayer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 1<<20, 3)
	kek := bytes.Repeat([]byte{0x4B}, 32)
	kekFile := filepath.Join(dir, "player.kek")
	if err := os.WriteFile(kekFile, kek, 0o600); err != nil {
		t.Fatal(err)
	}
	deviceKeys := map[string]string{}
	for name, leaf := range map[string]uint32{"kept": 3, "revoked": 9} {
		k, err := nw.EnrollPlayer(ctx, leaf)
		if err != nil {
			t.Fatalf("EnrollPlayer(%d) = %v", leaf, err)
		}
		b, _ := k.MarshalBinary()
		deviceKeys[name] = filepath.Join(dir, name+".keys")
		if err := vault.SealFile(deviceKeys[name], kek, vault.LabelDeviceKeys, b, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range []string{"tok-1", "tok-2"} {
		if err := nw.Mint(ctx, tok, "film", keys.Signing); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	burn := func(tok string) (*drivesim.Disc, string) {
		t.Helper()
		j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: tok})
		if err != nil {
			t.Fatal(err)
		}
		if done := waitJob(t, st.Client, j.ID, time.Minute); done.State != job.Done {
			t.Fatalf("burn %s = %s (%s), want done", tok, done.State, done.Reason)
		}
		out := st.Robot.Sim.Output()
		return out[len(out)-1], j.ID
	}
	before, _ := burn("tok-1")
	h, err := nw.RevokePlayer(ctx, 9, "device keys leaked")
	if err != nil {
		t.Fatalf("RevokePlayer = %v", err)
	}
	after, job2 := burn("tok-2")
	if c, err := nw.Copy(job2); err != nil || c.Current().Height <= h {
		t.Fatalf("the second disc's spend is not after the revocation at height %d", h)
	}
	tests := []struct {
		disc   *drivesim.Disc
		player string
		code   int
		want   string
	}{
		{before, "kept", 0, "result:     plays"},
		{after, "kept", 0, "result:     plays"},
		{before, "revoked", 0, "result:     plays"},
		{after, "revoked", 1, "revoked for this disc"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("disc %d, %s player", i%2+1, tc.player), func(t *testing.T) {
			code, out := discCheck(t, ctx, tc.disc, deviceKeys[tc.player], kekFile)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("stationd disc check = %d, %q; want %d and %q", code, out, tc.code, tc.want)
			}
		})
	}
}

// discCheck runs `stationd disc check` on d in a drive of its own, with
// any further arguments (e.g. --out FILE).
func discCheck(t *testing.T, ctx context.Context, d *drivesim.Disc, keysFile, kekFile string, more ...string) (int, string) {
	t.Helper()
	sim, err := drivesim.New(drivesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.InsertDisc(d); err != nil {
		t.Fatal(err)
	}
	defer sim.Remove() // the disc stays the robot's
	open := func(string) (drive.TransportCloser, error) { return nopCloser{sim}, nil }
	var out bytes.Buffer
	args := append([]string{"disc", "check", "--device", "sim:", "--device-keys", keysFile, "--kek-file", kekFile}, more...)
	code := disccli.Run(ctx, args, &out, &out, open)
	return code, out.String()
}

type nopCloser struct{ drive.Transport }

func (nopCloser) Close() error { return nil }

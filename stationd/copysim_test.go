package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/stationd/simstation"
)

// TestRunAgainstCopysim runs `stationd run` against the drive and robot
// simulators in their own process on pseudo-terminals (copysim): the
// drive over the framed serial link, the robot over its line protocol, as a
// station reaches real hardware on serial lines.
func TestRunAgainstCopysim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds copysim and runs three processes")
	}
	// A job that cannot get a blank fails within a few robot loads, so
	// the test ends well inside this bound even on a loaded machine.
	ctx := testContext(t, 50*time.Second)
	cs := startCopysimStation(t, ctx, 3)
	c := startProc(t, []string{"run", "--config", cs.config})
	c.waitReady(t, time.Now())
	defer c.stop(t)
	var out, errb bytes.Buffer
	if code := Main(ctx, []string{"burn", "--socket", cs.sock, "--title", "film", "--token", "tok-0", "--watch"}, &out, &errb); code != 0 {
		t.Fatalf("stationd burn --watch = exit %d\n%s\n%s\nstationd:\n%s\ncopysim:\n%s", code, out.String(), errb.String(), c.stderr.String(), cs.simErr.String())
	}
	if !strings.Contains(out.String(), ": done (drive 0, attempt 1)") {
		t.Errorf("stationd burn --watch printed %q, want the job done", out.String())
	}
	copies, err := cs.nw.Node.App.Copies("token", "tok-0", 10)
	if err != nil || len(copies) != 1 || copies[0].Current().Outcome != "made" {
		t.Errorf("ledger copies of tok-0 = %+v, %v; want one, made", copies, err)
	}
}

// copysimStation is a station configuration whose drive and robot are a
// copysim process, with an embedded node holding tokens tok-0 ... tok-(n-1).
type copysimStation struct {
	nw     *simstation.Network
	dir    string
	sock   string
	config string
	simErr *syncBuffer
	// discs holds copysim's disc files, disc-<media ID hex>.img.
	discs string
}

func startCopysimStation(t *testing.T, ctx context.Context, tokens int) *copysimStation {
	t.Helper()
	root := t.TempDir()
	bin := filepath.Join(root, "copysim")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "copystation/simulator/cmd/copysim").CombinedOutput(); err != nil {
		t.Fatalf("go build copysim: %v\n%s", err, out)
	}
	links, discs := filepath.Join(root, "links"), filepath.Join(root, "discs")
	os.MkdirAll(links, 0o700)
	os.MkdirAll(discs, 0o700)
	sim := exec.CommandContext(ctx, bin, "--drive-link", filepath.Join(links, "drive"), "--robot-link", filepath.Join(links, "robot"),
		"--blanks", fmt.Sprint(max(10, 3*tokens)), "--time-scale", "0", "--dir", discs)
	simErr := &syncBuffer{}
	sim.Stderr = simErr
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Process.Kill(); sim.Wait() })
	for _, l := range []string{"drive", "robot"} {
		deadline := time.Now().Add(time.Minute)
		for {
			if _, err := os.Stat(filepath.Join(links, l)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("copysim made no %s link\n%s", l, simErr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	nw, dir, signing := provisionStation(ctx, t, root, 8)
	for i := range tokens {
		if err := nw.Mint(ctx, fmt.Sprintf("tok-%d", i), "film", signing); err != nil {
			t.Fatal(err)
		}
	}
	pin := nw.Pin()
	sock := filepath.Join(dir, "api.sock")
	cfg := fmt.Sprintf(`state_dir = %q
socket = %q
custody_group = %q
[tpm]
uri = "sim:%s"
[[drive]]
device = "serial:%s"
[robot]
device = %q
[[node]]
address = %q
static_key = %q
signing_key = %q
%s`, dir, sock, hex.EncodeToString(nw.Group()), filepath.Join(dir, "tpm-sim"), filepath.Join(links, "drive"), filepath.Join(links, "robot"), pin.Address, pin.StaticKey, pin.SigningKey, playersTOML(t, nw))
	path := filepath.Join(root, "station.toml")
	os.WriteFile(path, []byte(cfg), 0o600)
	return &copysimStation{nw: nw, dir: dir, sock: sock, config: path, simErr: simErr, discs: discs}
}

package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/simstation"
)

// TestRunFromConfig runs the production entry point, `stationd run
// --config FILE`, with every part from the configuration (a drive by URI,
// the TPM by URI, pinned nodes, the journal in state_dir) and burns a copy.
func TestRunFromConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a validation node and a station process")
	}
	ctx := testContext(t, 3*time.Minute)
	sock, c := startConfigured(ctx, t, "sim:")
	defer c.stop(t)
	var out, errb bytes.Buffer
	if code := Main(ctx, []string{"burn", "--socket", sock, "--title", "film", "--token", "tok", "--watch"}, &out, &errb); code != 0 {
		t.Fatalf("stationd burn --watch = exit %d\n%s\n%s\n%s", code, out.String(), errb.String(), c.stderr.String())
	}
	if !strings.Contains(out.String(), ": done (drive 0, attempt 1)") || !strings.Contains(out.String(), "ledger height") {
		t.Errorf("stationd burn --watch printed %q, want the job done with its receipt", out.String())
	}
	out.Reset()
	if code := Main(ctx, []string{"status", "--socket", sock, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("stationd status --json = exit %d: %s", code, errb.String())
	}
	var st api.Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || st.Jobs[string(job.Done)] != 1 || len(st.Drives) != 1 || st.StationID == "" {
		t.Errorf("stationd status --json = %s (%v), want one done job, one drive, a station ID", out.String(), err)
	}
	out.Reset()
	// No robot here: a second job waits for a person to insert a blank,
	// and says so.
	if code := Main(ctx, []string{"burn", "--socket", sock, "--title", "film", "--token", "tok", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("second burn = exit %d: %s", code, errb.String())
	}
	var second api.Job
	json.Unmarshal(out.Bytes(), &second)
	cl := api.NewClient(sock)
	if active, err := cl.Jobs(ctx, true); err != nil || len(active) != 1 || active[0].ID != second.ID {
		t.Errorf("Jobs(active) = %d jobs, %v; want only the waiting one", len(active), err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := cl.Job(ctx, second.ID)
		if err == nil && j.Progress != nil && strings.Contains(j.Progress.Waiting, "insert a blank disc") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second job = %+v, %v; want it waiting for a blank", j, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(path, []byte("state_dir = \"/var/lib/stationd\"\nmax_atempts = 2\n[[drive]]\ndevice = \"/dev/sg1\"\n"), 0o600)
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "--config", path}, &out, &errb)
	for _, want := range []string{"max_atempts: unknown key"} {
		if code != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("stationd run with a bad config = exit %d, stderr %q; want exit 1 naming %q", code, errb.String(), want)
		}
	}
}

// TestRunRefusesUnprovisionedTPM checks that the daemon never makes new
// station keys: with none in state_dir it stops and says how to make them.
func TestRunRefusesUnprovisionedTPM(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "station.toml")
	cfg := fmt.Sprintf(`state_dir = %q
socket = %q
custody_group = "ab"
[tpm]
uri = "sim:%s"
[[drive]]
device = "sim:"
[[node]]
address = "127.0.0.1:1"
static_key = "%064x"
signing_key = "04%0128x"
[players]
tree = "players-1"
depth = 20
`, dir, filepath.Join(dir, "s.sock"), filepath.Join(dir, "tpm-sim"), 1, 1)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "--config", path}, &out, &errb)
	for _, want := range []string{"not provisioned", "stationd tpm init"} {
		if code != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("stationd run without station keys = exit %d, stderr %q; want exit 1 saying %q", code, errb.String(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tpm")); err == nil {
		if ents, _ := os.ReadDir(filepath.Join(dir, "tpm")); len(ents) > 0 {
			t.Errorf("stationd run left %d files in state_dir/tpm, want no keys made", len(ents))
		}
	}
}

// playersTOML is the [players] table pinning nw's player tree.
func playersTOML(t testing.TB, nw *simstation.Network) string {
	t.Helper()
	p, err := nw.Players()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("[players]\ntree = %q\ndepth = %d\n", p.Tree, p.Depth)
}

// startConfigured starts a validation node, enrolls a station with a title
// "film" and a token "tok", and runs `stationd run` on a configuration with
// the given drive URIs; it returns the API socket and the READY process.
func startConfigured(ctx context.Context, t *testing.T, drives ...string) (string, *child) {
	t.Helper()
	root := t.TempDir()
	nw, dir, signing := provisionStation(ctx, t, root, 4)
	if err := nw.Mint(ctx, "tok", "film", signing); err != nil {
		t.Fatal(err)
	}
	pin := nw.Pin()
	sock := filepath.Join(dir, "api.sock")
	cfg := fmt.Sprintf(`state_dir = %q
socket = %q
metrics_listen = "127.0.0.1:0"
custody_group = %q
[tpm]
uri = "sim:%s"
`, dir, sock, hex.EncodeToString(nw.Group()), filepath.Join(dir, "tpm-sim"))
	for _, d := range drives {
		cfg += fmt.Sprintf("[[drive]]\ndevice = %q\n", d)
	}
	cfg += fmt.Sprintf("[[node]]\naddress = %q\nstatic_key = %q\nsigning_key = %q\n", pin.Address, pin.StaticKey, pin.SigningKey)
	cfg += playersTOML(t, nw)
	path := filepath.Join(root, "station.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startProc(t, []string{"run", "--config", path})
	c.waitReady(t, time.Now())
	return sock, c
}

// provisionStation starts a validation node under root, enrolls a station
// whose keys are made in root/station, and registers a 1 MiB title "film"
// (image seed seed) in its titles directory; it returns the network, the
// station's directory and its signing key.
func provisionStation(ctx context.Context, t *testing.T, root string, seed uint64) (*simstation.Network, string, []byte) {
	t.Helper()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(root, "node"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	dir := filepath.Join(root, "station")
	keys, err := simstation.OpenKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	signing := keys.Signing
	_, err = nw.Enroll(ctx, keys.Signing, keys.Agreement)
	keys.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "titles"), "film", 1<<20, seed); err != nil {
		t.Fatal(err)
	}
	return nw, dir, signing
}

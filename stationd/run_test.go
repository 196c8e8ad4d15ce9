package main

import (
	"bytes"
	"context"
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
	root := t.TempDir()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(root, "node"))
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
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
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "titles"), "film", 1<<20, 4); err != nil {
		t.Fatal(err)
	}
	if err := nw.Mint(ctx, "tok", "film", signing); err != nil {
		t.Fatal(err)
	}
	pin := nw.Pin()
	sock := filepath.Join(dir, "api.sock")
	cfg := fmt.Sprintf(`state_dir = %q
socket = %q
metrics_listen = "127.0.0.1:0"
[tpm]
uri = "sim:%s"
[[drive]]
device = "sim:"
[[node]]
address = %q
static_key = %q
signing_key = %q
`, dir, sock, filepath.Join(dir, "tpm-sim"), pin.Address, pin.StaticKey, pin.SigningKey)
	path := filepath.Join(root, "station.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startProc(t, []string{"run", "--config", path})
	c.waitReady(t, time.Now())
	defer c.stop(t)
	cl := api.NewClient(sock)
	j, err := cl.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatalf("Burn = %v", err)
	}
	done := waitTerminal(t, ctx, cl, j.ID, c)
	if done.State != job.Done {
		t.Fatalf("job = %s (%s), want done\n%s", done.State, done.Reason, c.stderr.String())
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"jobs", "--socket", sock}, &out, &errb); code != 0 || !strings.Contains(out.String(), j.ID) {
		t.Errorf("stationd jobs = %d, %q, %q; want the job listed", code, out.String(), errb.String())
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

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/simstation"
	"copystation/validatord/contract"
)

// TestCrashAtEveryTransition kills a real stationd process with SIGKILL
// right after it journals each state of a burn, restarts it, and checks the
// job ends done with exactly one spend on the ledger, every spoiled blank on
// the record.
func TestCrashAtEveryTransition(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a validation node and many station processes")
	}
	ctx := testContext(t, 10*time.Minute)
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
	keys.Close() // the child processes open the TPM from here on
	if err != nil {
		t.Fatal(err)
	}
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "titles"), "film", 1<<20, 2); err != nil {
		t.Fatal(err)
	}
	// Every state of a good burn, walked from the job's transition table,
	// and once more dying again while journaling a spoil.
	var scenarios [][]job.State
	for _, s := range job.Path()[1:] {
		scenarios = append(scenarios, []job.State{s})
	}
	scenarios = append(scenarios, []job.State{job.Writing, job.Spoiled})
	for i, crashes := range scenarios {
		t.Run(fmt.Sprint(crashes), func(t *testing.T) {
			token := fmt.Sprintf("tok-%d", i)
			if err := nw.Mint(ctx, token, "film", signing); err != nil {
				t.Fatal(err)
			}
			var id string
			for k, at := range crashes {
				c := startChild(t, dir, nw, crashEnv+"="+string(at))
				c.waitReady(t, time.Now())
				if k == 0 {
					// A crash at the first state can kill the daemon before it
					// answers (the job is journaled first): then the job is
					// found by its token after the restart.
					j, err := api.NewClient(filepath.Join(dir, "stationd.sock")).Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: token})
					if err == nil {
						id = j.ID
					} else if at != job.Path()[1] {
						t.Fatalf("Burn = %v", err)
					}
				}
				select {
				case err := <-c.exited:
					ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
					if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
						t.Fatalf("stationd ended with %v, want killed by SIGKILL at %s\n%s", err, at, c.stderr.String())
					}
				case <-time.After(2 * time.Minute):
					t.Fatalf("stationd never reached %s\n%s", at, c.stderr.String())
				}
			}
			c := startChild(t, dir, nw)
			c.waitReady(t, time.Now())
			defer c.stop(t)
			if id == "" {
				id = jobForToken(t, ctx, api.NewClient(filepath.Join(dir, "stationd.sock")), token)
			}
			j := waitTerminal(t, ctx, api.NewClient(filepath.Join(dir, "stationd.sock")), id, c)
			if j.State != job.Done {
				t.Fatalf("job after restart = %s (%s), want done\n%s", j.State, j.Reason, c.stderr.String())
			}
			checkLedger(t, nw, token, j)
		})
	}
}

func waitTerminal(t *testing.T, ctx context.Context, cl *api.Client, id string, c *child) *api.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		j, err := cl.Job(ctx, id)
		if err == nil && j.State.Terminal() {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s not finished after 2 min\n%s", id, c.stderr.String())
	return nil
}

// checkLedger: the token was spent once, by this job; the copy's attempts
// are the job's blanks, the last made and every other spoiled.
func checkLedger(t *testing.T, nw *simstation.Network, token string, j *api.Job) {
	t.Helper()
	tok, err := nw.Token(token)
	if err != nil || tok.State != contract.TokenSpent || tok.Job != j.ID {
		t.Fatalf("token %s = %+v, %v; want spent by job %s", token, tok, err, j.ID)
	}
	copies, err := nw.Node.App.Copies("token", token, 10)
	if err != nil || len(copies) != 1 {
		t.Fatalf("copies of token %s = %d, %v; want exactly one spend", token, len(copies), err)
	}
	c := copies[0]
	if len(c.Attempts) != j.Attempt {
		t.Errorf("ledger attempts = %d, job attempts = %d, want equal", len(c.Attempts), j.Attempt)
	}
	for k, a := range c.Attempts {
		want := contract.OutcomeSpoiled
		if k == len(c.Attempts)-1 {
			want = contract.OutcomeMade
		}
		if a.Outcome != want {
			t.Errorf("attempt %d outcome = %s, want %s", k, a.Outcome, want)
		}
	}
	t.Logf("job %s: %d attempt(s), spend at height %d", j.ID, j.Attempt, c.Attempts[0].Height)
}

// TestCrashWithDriveOutliving asks the same of a station whose drive and
// robot are a separate process (copysim on pseudo-terminals): the disc in
// the drive survives the daemon's death, so no kill at a transition costs
// a blank. A job killed before writing (or as writing began, the blank
// still untouched) resumes on the same blank with the same keys; one
// killed in verify verifies the written disc again and finishes it; one
// killed in finalise finalises it again. Each ends with one attempt: one
// blank used, one made disc on the token's record.
func TestCrashWithDriveOutliving(t *testing.T) {
	if testing.Short() {
		t.Skip("builds copysim and runs many processes")
	}
	ctx := testContext(t, 6*time.Minute)
	path := job.Path()
	states := path[1 : len(path)-1] // media_check ... reporting
	cs := startCopysimStation(t, ctx, len(states))
	for i, at := range states {
		t.Run(string(at), func(t *testing.T) {
			token := fmt.Sprintf("tok-%d", i)
			c := startProc(t, []string{"run", "--config", cs.config}, crashEnv+"="+string(at))
			c.waitReady(t, time.Now())
			j, err := api.NewClient(cs.sock).Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: token})
			if err != nil {
				t.Fatalf("Burn = %v", err)
			}
			select {
			case <-c.exited:
				ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
				if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
					t.Fatalf("stationd ended with %v, want killed at %s\n%s", c.cmd.ProcessState, at, c.stderr.String())
				}
			case <-time.After(2 * time.Minute):
				t.Fatalf("stationd never reached %s\n%s", at, c.stderr.String())
			}
			c = startProc(t, []string{"run", "--config", cs.config})
			c.waitReady(t, time.Now())
			defer c.stop(t)
			done := waitTerminal(t, ctx, api.NewClient(cs.sock), j.ID, c)
			if done.State != job.Done {
				t.Fatalf("job after restart = %s (%s), want done\n%s\ncopysim:\n%s", done.State, done.Reason, c.stderr.String(), cs.simErr.String())
			}
			if done.Attempt != 1 {
				t.Errorf("attempts = %d, want 1 (the disc in the drive finished, no new blank)", done.Attempt)
			}
			checkLedger(t, cs.nw, token, done)
		})
	}
}

// TestCrashVerifyFailsAfterRestart: a daemon killed in verify verifies the
// disc again after its restart, and a disc that no longer passes (a
// cluster of the image changed while the daemon was down) is spoiled and
// the copy made on a second blank under the same spend: only a disc that
// fails verification costs a blank.
func TestCrashVerifyFailsAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds copysim and runs several processes")
	}
	ctx := testContext(t, 3*time.Minute)
	cs := startCopysimStation(t, ctx, 1)
	c := startProc(t, []string{"run", "--config", cs.config}, crashEnv+"="+string(job.Verifying))
	c.waitReady(t, time.Now())
	j, err := api.NewClient(cs.sock).Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-0"})
	if err != nil {
		t.Fatalf("Burn = %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("stationd never reached verifying\n%s", c.stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(cs.discs, "disc-*.img"))
	if len(files) != 1 {
		t.Fatalf("copysim disc files = %v, want the one written", files)
	}
	f, err := os.OpenFile(files[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A byte of the image's third cluster (after the 32-sector header).
	off := int64(disc.DefaultHeaderSectors+2*disc.ClusterSectors) * disc.SectorSize
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c = startProc(t, []string{"run", "--config", cs.config})
	c.waitReady(t, time.Now())
	defer c.stop(t)
	done := waitTerminal(t, ctx, api.NewClient(cs.sock), j.ID, c)
	if done.State != job.Done || done.Attempt != 2 {
		t.Fatalf("job after restart = %s after %d attempt(s) (%s), want done on a second blank\n%s", done.State, done.Attempt, done.Reason, c.stderr.String())
	}
	if !strings.Contains(c.stderr.String(), "verify again after a restart") {
		t.Errorf("stationd log does not say the disc failed verification again:\n%s", c.stderr.String())
	}
	checkLedger(t, cs.nw, "tok-0", done)
}

// jobForToken is the journaled job that burns token.
func jobForToken(t *testing.T, ctx context.Context, cl *api.Client, token string) string {
	t.Helper()
	js, err := cl.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if j.TokenID == token {
			return j.ID
		}
	}
	t.Fatalf("no job for token %s after the restart: the daemon died before journaling it", token)
	return ""
}

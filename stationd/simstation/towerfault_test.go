package simstation

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
	"copystation/stationd/job"
)

// TestTowerDriveFailsMidWrite is issue 16's "degrade, don't stop": on a
// tower of four simulated drives and one robot, drive 2 fails part way
// through writing its disc, in each way a drive dies (a hardware error
// that stays, the device gone from the bus, a command that never
// completes). The other three drives finish their jobs untouched on the
// first blank; the failed drive's job is spoiled on the ledger, with the
// reason, and made on another drive on the next blank under the same
// spend; every token is spent once, by its own job; the failed drive is
// failed in the status and the metrics, naming the disc it still holds;
// and every blank is accounted for.
func TestTowerDriveFailsMidWrite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 8<<20, 16)
	writes := []drive.Opcode{drive.OpWrite10, drive.OpWrite12}
	tests := []struct {
		name   string
		fault  drivesim.Fault
		reason string // in the spoiled attempt's reason on the ledger
	}{
		{"hardware error", drivesim.Fault{Kind: drivesim.FaultHardwareError, Ops: writes, Skip: 8, Sticky: true}, "HARDWARE ERROR"},
		{"gone from the bus", drivesim.Fault{Kind: drivesim.FaultGone, Ops: writes, Skip: 8}, "left the bus"},
		{"command never completes", drivesim.Fault{Kind: drivesim.FaultHang, Ops: writes, Skip: 8, Sticky: true}, "timed out"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const bad = 2
			st, m := faultStation(ctx, t, nw, keys, dir, fmt.Sprint("tower-", i), Options{Drives: 4, Blanks: 6}, bad, tt.fault)
			var ids []string
			for k := range 4 {
				ids = append(ids, burnFilm(ctx, t, nw, keys, st, fmt.Sprintf("tok-%d-%d", i, k)))
			}
			moved := ""
			for k, id := range ids {
				j := waitJob(t, st.Client, id, 3*time.Minute)
				if j.State != job.Done {
					t.Fatalf("job %s = %s (%s), want done", id, j.State, j.Reason)
				}
				ev, err := st.Daemon.Store().Events(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				c, err := nw.Copy(id)
				if err != nil {
					t.Fatalf("ledger copy of job %s: %v", id, err)
				}
				if tok, err := nw.Token(fmt.Sprintf("tok-%d-%d", i, k)); err != nil || tok.Job != id {
					t.Errorf("token of job %s = %+v (%v), want spent by that job", id, tok, err)
				}
				if j.Attempt == 1 {
					if j.Drive == bad || len(c.Attempts) != 1 || c.Current().Outcome != "made" {
						t.Errorf("job %s: drive %d, ledger attempts %+v; want one attempt, made, on a drive that works", id, j.Drive, c.Attempts)
					}
					continue
				}
				if moved != "" {
					t.Fatalf("jobs %s and %s both retried, want only the failed drive's", moved, id)
				}
				moved = id
				if j.Attempt != 2 || j.Drive == bad || len(c.Attempts) != 2 || c.Attempts[0].Outcome != "spoiled" || c.Attempts[1].Outcome != "made" {
					t.Errorf("moved job %s: attempt %d on drive %d, ledger attempts %+v; want attempt 2 made on another drive after one spoiled", id, j.Attempt, j.Drive, c.Attempts)
				} else if !strings.Contains(c.Attempts[0].Reason, tt.reason) {
					t.Errorf("spoiled attempt's reason on the ledger = %q, want it to say %q", c.Attempts[0].Reason, tt.reason)
				}
				if !hasEvent(ev, job.Writing, job.Spoiled, "") || !hasEvent(ev, job.Spoiled, job.MediaCheck, fmt.Sprintf("drive %d failed", bad)) {
					t.Errorf("moved job's journal = %+v, want writing -> spoiled, then spoiled -> media_check naming drive %d", ev, bad)
				}
			}
			if moved == "" {
				t.Fatal("no job was retried: drive 2 never failed under a job")
			}
			// A job is done in the journal a moment before its drive's
			// runner has dropped its keys and let the drive go.
			waitFor(t, "the working drives to let their jobs go", func() bool {
				for n, d := range st.Daemon.Status(ctx).Drives {
					if n != bad && d.JobID != "" {
						return false
					}
				}
				return true
			})
			s := st.Daemon.Status(ctx)
			for n, d := range s.Drives {
				switch {
				case n == bad && (d.State != "failed" || !strings.Contains(d.Error, "failed in service") || !strings.Contains(d.Disc, moved)):
					t.Errorf("drive %d status = %+v, want failed, saying so, holding job %s's spoiled disc", n, d, moved)
				case n != bad && d.State != "idle":
					t.Errorf("drive %d status = %+v, want idle", n, d)
				}
			}
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			if !strings.Contains(rec.Body.String(), "\nstationd_drives_failed 1\n") {
				t.Errorf("metrics do not show stationd_drives_failed 1")
			}
			// 6 blanks: 4 copies in the output bin, 1 spoiled disc left in
			// the failed drive, 1 still in the input bin.
			if in, out, rej, err := st.Robot.Bins(ctx); err != nil || in != 1 || out != 4 || rej != 0 || !st.Drives[bad].HasDisc() {
				t.Errorf("bins in/out/reject = %d/%d/%d (%v), disc in drive %d %v; want 1/4/0 and the spoiled disc in it", in, out, rej, err, bad, st.Drives[bad].HasDisc())
			}
		})
	}
}

func hasEvent(ev []job.Event, from, to job.State, note string) bool {
	for _, e := range ev {
		if e.From == from && e.To == to && strings.Contains(e.Note, note) {
			return true
		}
	}
	return false
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

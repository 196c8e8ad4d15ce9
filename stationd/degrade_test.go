package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/job"
)

// TestRunWithMissingDrive: a tower whose first drive's sg node does not
// exist starts anyway (READY), burns on the drive that works, and reports
// the missing one as failed, with the reason, in the status.
func TestRunWithMissingDrive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a validation node and a station process")
	}
	ctx := testContext(t, 3*time.Minute)
	sock, c := startConfigured(ctx, t, "sg:/dev/copystation-no-such-sg", "sim:")
	defer c.stop(t)

	var out, errb bytes.Buffer
	if code := Main(ctx, []string{"burn", "--socket", sock, "--title", "film", "--token", "tok", "--watch"}, &out, &errb); code != 0 {
		t.Fatalf("stationd burn --watch = exit %d\n%s\n%s\n%s", code, out.String(), errb.String(), c.stderr.String())
	}
	if !strings.Contains(out.String(), ": done (drive 1, attempt 1)") {
		t.Errorf("stationd burn --watch printed %q, want the job done on drive 1", out.String())
	}
	// The job is done in the journal a moment before drive 1's runner has
	// dropped its keys and let the drive go: ask until it has.
	var st api.Status
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out.Reset()
		if code := Main(ctx, []string{"status", "--socket", sock, "--json"}, &out, &errb); code != 0 {
			t.Fatalf("stationd status --json = exit %d: %s", code, errb.String())
		}
		st = api.Status{}
		if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st.Drives) != 2 {
			t.Fatalf("stationd status --json = %s (%v), want two drives", out.String(), err)
		}
		if st.Drives[1].JobID == "" || time.Now().After(deadline) {
			break
		}
	}
	if d := st.Drives[0]; d.State != "failed" || !strings.Contains(d.Error, "copystation-no-such-sg") {
		t.Errorf("drive 0 status = %+v, want failed, naming the missing device", d)
	}
	if d := st.Drives[1]; d.State != "idle" || st.Jobs[string(job.Done)] != 1 {
		t.Errorf("status = %+v, want drive 1 idle and one job done", st)
	}
}

package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"

	"copystation/stationd/job"
	"copystation/stationd/journal"
)

// TestRestartWithFailedDriveMovesItsJob: the daemon stopped while drive 0
// was writing a job's disc, and drive 0 does not open on the restart. The
// job is not left on the dead drive: its disc is spoiled and reported, the
// disc is named in the drive's status for a person to take out, and the
// job is made on drive 1 under the same spend.
func TestRestartWithFailedDriveMovesItsJob(t *testing.T) {
	ctx := context.Background()
	store := journal.NewMem(nil)
	j := job.Job{ID: "job-on-dead-drive", Drive: 0, TitleID: "film", TokenID: "tok", State: job.Queued}
	if err := store.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	led := &testLedger{}
	// The spend the job holds from before the restart.
	if _, err := led.Authorize(ctx, AuthRequest{JobID: j.ID, TokenID: "tok", MediaID: []byte("old-disc")}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []job.State{job.MediaCheck, job.Authorising, job.Authorised, job.Writing} {
		var err error
		if j, err = store.Transition(ctx, j.ID, j.State, to, "", func(x *job.Job) { x.Attempt, x.MediaID = 1, []byte("old-disc") }); err != nil {
			t.Fatal(err)
		}
	}
	s := startOn(t, testConfig(t), 2, nil, store, func(s *station, ds []Drive) []Drive {
		s.ledger = led
		ds[0] = &FailedDrive{Label: "sg0", Err: errors.New("open /dev/sg0: no such device")}
		return ds
	})
	done := waitState(t, s.client, j.ID, job.Done, job.Failed)
	if done.State != job.Done || done.Drive != 1 || done.Attempt != 2 {
		t.Fatalf("job = %s on drive %d, attempt %d (%s); want done on drive 1, attempt 2", done.State, done.Drive, done.Attempt, done.Reason)
	}
	if tx, sp := s.ledger.spent("tok"); tx != 1 || sp.spoiled != 1 || !sp.made {
		t.Errorf("ledger: %d spends, %+v; want one spend, one spoiled disc, made", tx, sp)
	}
	st := s.d.Status(ctx)
	if d := st.Drives[0]; d.State != "failed" || !strings.Contains(d.Disc, j.ID) {
		t.Errorf("drive 0 status = %+v, want failed, naming the job's disc left in it", d)
	}
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"copystation/robot"
	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/journal"
)

// TestUnusableBlankFailsBounded checks that a job that cannot get a usable
// blank fails with a clear reason after a bounded number of blanks, before
// any spend, instead of emptying the robot's input bin.
func TestUnusableBlankFailsBounded(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(s *station)
		wantReason []string
		wantUsed   int // blanks taken from the bin (10 at start)
	}{
		{"blank without media ID", func(s *station) { s.robot.drives[0].noID = true },
			[]string{ErrNoMediaID.Error(), errIllegalRequest.Error()}, 1},
		{"every load refused", func(s *station) { s.robot.loadErr = errors.New("robot LOAD 1: DRIVE_FAULT: disc file") },
			[]string{ErrNoUsableBlank.Error(), "DRIVE_FAULT"}, maxLoadFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, testConfig(t), 1, nil)
			s.robot.mu.Lock()
			s.robot.drives[0].mu.Lock()
			tt.setup(s)
			s.robot.drives[0].mu.Unlock()
			s.robot.mu.Unlock()
			j, err := s.client.Burn(context.Background(), api.BurnRequest{TitleID: "film", TokenID: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			got := waitState(t, s.client, j.ID, job.Done, job.Failed)
			if got.State != job.Failed {
				t.Fatalf("job = %s, want failed", got.State)
			}
			for _, w := range tt.wantReason {
				if !strings.Contains(got.Reason, w) {
					t.Errorf("job reason = %q, want it to say %q", got.Reason, w)
				}
			}
			if blanks, _, _ := s.robot.counts(); 10-blanks != tt.wantUsed {
				t.Errorf("blanks used = %d, want %d", 10-blanks, tt.wantUsed)
			}
			if tx, _ := s.ledger.spent("tok"); tx != 0 {
				t.Errorf("ledger spends = %d, want 0 (no blank, no spend)", tx)
			}
		})
	}
}

// TestRobotJamHoldsJob checks that a jammed robot, which costs no blank
// and needs a person, holds the job (and says why) however many tries it
// takes, instead of failing it like a drive that refuses blanks.
func TestRobotJamHoldsJob(t *testing.T) {
	s := start(t, testConfig(t), 1, nil)
	s.robot.mu.Lock()
	s.robot.jam = fmt.Errorf("robot PICK: JAMMED: %w", robot.ErrJam)
	s.robot.mu.Unlock()
	ctx := context.Background()
	j, err := s.client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "more tries than the load-failure bound", func() bool {
		s.robot.mu.Lock()
		defer s.robot.mu.Unlock()
		return s.robot.loads > 2*maxLoadFailures
	})
	got, err := s.client.Job(ctx, j.ID)
	if err != nil || got.State != job.MediaCheck || got.Progress == nil || !strings.Contains(got.Progress.Waiting, "jammed") {
		t.Fatalf("job with a jammed robot = %+v, %v; want held in media_check, waiting on the jam", got, err)
	}
	s.robot.mu.Lock()
	s.robot.jam = nil
	s.robot.mu.Unlock()
	if done := waitState(t, s.client, j.ID, job.Done, job.Failed); done.State != job.Done {
		t.Errorf("job after the jam was cleared = %s (%s), want done", done.State, done.Reason)
	}
}

// TestBlankWaitCountsFromStart checks that a job journaled in media_check
// long before the daemon started (the station was down) is not failed for
// want of a blank before the robot has tried: it is done.
func TestBlankWaitCountsFromStart(t *testing.T) {
	ctx := context.Background()
	longAgo := time.Now().Add(-24 * time.Hour)
	store := journal.NewMem(func() time.Time { return longAgo })
	if err := store.Create(ctx, job.Job{ID: "old-job", Drive: 0, TitleID: "film", TokenID: "tok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Transition(ctx, "old-job", job.Queued, job.MediaCheck, "", func(x *job.Job) { x.Attempt = 1 }); err != nil {
		t.Fatal(err)
	}
	s := startWith(t, testConfig(t), 1, nil, store)
	if got := waitState(t, s.client, "old-job", job.Done, job.Failed); got.State != job.Done {
		t.Errorf("job in media_check since a day before the start = %s (%s), want done", got.State, got.Reason)
	}
}

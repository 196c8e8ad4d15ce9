package main

import (
	"testing"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/job"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name string
		j    api.Job
		want string
	}{
		{"no progress", api.Job{Job: job.Job{ID: "j", State: job.Authorising}}, "job j  authorising"},
		{"step within a state", api.Job{Job: job.Job{ID: "j", State: job.Writing}, Progress: &api.Progress{Phase: "syncing"}}, "job j  writing (syncing)"},
		{"waiting", api.Job{Job: job.Job{ID: "j", State: job.MediaCheck}, Progress: &api.Progress{Waiting: "insert a blank disc in drive sim0"}},
			"job j  media_check, waiting: insert a blank disc in drive sim0"},
		{"package check while authorising", api.Job{Job: job.Job{ID: "j", State: job.Authorising}, Progress: &api.Progress{Phase: "authenticating", Done: 48, Total: 100, BytesPerSec: 1418.3e6}},
			"job j  authorising: checking the title package  48%"},
		{"start of a phase", api.Job{Job: job.Job{ID: "j", State: job.Writing}, Progress: &api.Progress{Phase: "writing", Total: 100}},
			"[..............................]   0%  writing             -- MB/s  ETA --"},
		{"half way", api.Job{Job: job.Job{ID: "j", State: job.Writing}, Progress: &api.Progress{Phase: "writing", Done: 50e6, Total: 100e6, BytesPerSec: 25e6, ETA: 2 * time.Second}},
			"[###############...............]  50%  writing           25.0 MB/s  ETA 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(&tt.j); got != tt.want {
				t.Errorf("progressLine() = %q, want %q", got, tt.want)
			}
		})
	}
}

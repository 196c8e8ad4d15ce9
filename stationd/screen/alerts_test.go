package screen

import (
	"strings"
	"testing"

	"copystation/stationd/api"
)

// TestAlertFailedDrive: a drive out of service raises a staff alert that
// names it, says why, and names the disc a person must take out of it.
func TestAlertFailedDrive(t *testing.T) {
	st := &api.Status{Drives: []api.DriveStatus{
		{Index: 0, Name: "sim0", State: "idle"},
		{Index: 1, Name: "sim1", State: "failed", Error: "drive failed: sim1 failed in service", Disc: "the spoiled disc of job J (attempt 1)"},
	}}
	var got []Alert
	for _, a := range alerts(st, 50) {
		if a.Kind == "drive_failed" {
			got = append(got, a)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0].Text, "Drive 1 (sim1)") || !strings.Contains(got[0].Text, "failed in service") || !strings.Contains(got[0].Text, "spoiled disc of job J") {
		t.Errorf("alerts(failed drive) = %+v, want one drive_failed alert naming drive 1, why, and its disc", got)
	}
}

// TestAlertDraining: a station draining for an update tells staff so,
// and how to end the drain.
func TestAlertDraining(t *testing.T) {
	var got []Alert
	for _, a := range alerts(&api.Status{Draining: true}, 50) {
		if a.Kind == "draining" {
			got = append(got, a)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0].Text, "Draining for update") || !strings.Contains(got[0].Text, "stationd drain --cancel") {
		t.Errorf("alerts(draining) = %+v, want one draining alert saying how to end it", got)
	}
	for _, a := range alerts(&api.Status{}, 50) {
		if a.Kind == "draining" {
			t.Errorf("alerts(not draining) = %+v, want no draining alert", a)
		}
	}
}

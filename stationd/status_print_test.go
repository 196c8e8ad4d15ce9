package main

import (
	"bytes"
	"strings"
	"testing"

	"copystation/stationd/api"
)

// TestStatusPrintsFailedDrive: `stationd status` says why a drive is out
// of service and which disc a person must take out of it.
func TestStatusPrintsFailedDrive(t *testing.T) {
	var b bytes.Buffer
	printer{w: &b}.status(&api.Status{StationID: "s", Drives: []api.DriveStatus{
		{Index: 0, Name: "sim0", State: "idle"},
		{Index: 1, Name: "sim1", State: "failed", Error: "drive failed: sim1 failed in service", Disc: "the spoiled disc of job J (attempt 1)"},
	}})
	want := "  drive 1 (sim1): failed (drive failed: sim1 failed in service); it holds the spoiled disc of job J (attempt 1)\n"
	if !strings.Contains(b.String(), want) || !strings.Contains(b.String(), "  drive 0 (sim0): idle\n") {
		t.Errorf("status printed %q, want the lines %q and %q", b.String(), want, "  drive 0 (sim0): idle\n")
	}
}

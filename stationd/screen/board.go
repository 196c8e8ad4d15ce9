package screen

import (
	"fmt"
	"net/http"

	"copystation/stationd/api"
	"copystation/stationd/job"
)

// board is the staff view: alerts first, then drives, bins and jobs.
type board struct {
	Status  *api.Status
	Alerts  []Alert
	Drives  []driveRow
	Active  []api.Job
	Problem string
}

// Alert is one thing staff must see to, most urgent first.
type Alert struct {
	Kind string // stable: out_of_blanks, reject_bin_full, robot_jam, robot_unreachable, tamper, no_node, door_open, drive_failed, draining
	Text string
}

type driveRow struct {
	api.DriveStatus
	Good, Spoiled int // lifetime counts from the journal
}

func (s *Server) board(r *http.Request) (*board, error) {
	st, err := s.cfg.Station.Status(r.Context())
	if err != nil {
		return nil, fmt.Errorf("the station daemon does not answer: %w", err)
	}
	jobs, err := s.cfg.Station.Jobs(r.Context())
	if err != nil {
		return nil, fmt.Errorf("the station daemon does not list its jobs: %w", err)
	}
	b := &board{Status: st, Alerts: alerts(st, s.cfg.RejectBinCapacity)}
	rows := make([]driveRow, len(st.Drives))
	for i, d := range st.Drives {
		rows[i].DriveStatus = d
	}
	for _, j := range jobs {
		if !j.State.Terminal() {
			b.Active = append(b.Active, j)
		}
		if j.Drive < 0 || j.Drive >= len(rows) {
			continue
		}
		// A job's attempts are counted on the drive it last used: a retry
		// may have run on another drive, which the journal does not keep.
		spent := j.Receipt.Height > 0 || j.CopyID != ""
		switch {
		case j.State == job.Done:
			rows[j.Drive].Good++
			rows[j.Drive].Spoiled += j.Attempt - 1
		case j.State == job.Failed && spent:
			rows[j.Drive].Spoiled += j.Attempt
		}
	}
	b.Drives = rows
	return b, nil
}

// alerts derives what needs a person from the daemon's status.
func alerts(st *api.Status, rejectCap int) []Alert {
	var a []Alert
	add := func(kind, format string, args ...any) { a = append(a, Alert{kind, fmt.Sprintf(format, args...)}) }
	if st.Tampered {
		add("tamper", "Tamper alarm: the enclosure was opened. Keys are wiped and jobs are held until the alarm is cleared with its code.")
	}
	if rb := st.Robot; rb != nil {
		switch {
		case rb.Error != "":
			add("robot_unreachable", "The disc robot does not answer: %s", rb.Error)
		default:
			if rb.Jammed {
				add("robot_jam", "Robot jam: free the mechanism, then press Jam cleared.")
			}
			if rb.Input == 0 {
				add("out_of_blanks", "Out of blanks: fill the input bin.")
			}
			if rb.Rejected >= rejectCap {
				add("reject_bin_full", "Reject bin full (%d discs): empty it.", rb.Rejected)
			}
		}
	}
	if len(st.Nodes) > 0 && st.NodesReachable == 0 {
		add("no_node", "No validation node reachable: copies wait until one answers. Check the network.")
	}
	for _, d := range st.Drives {
		if d.State != "failed" {
			continue
		}
		text := fmt.Sprintf("Drive %d (%s) is out of service; the station burns on its other drives. %s", d.Index, d.Name, d.Error)
		if d.Disc != "" {
			text += " It still holds " + d.Disc + ": take it out by hand."
		}
		add("drive_failed", "%s", text)
	}
	if st.Draining {
		add("draining", "Draining for update: the running copies finish, no new copy starts until the updated daemon runs (stationd drain --cancel ends it).")
	}
	if st.DoorOpen {
		add("door_open", "The station's door is open: the robot waits until it is closed.")
	}
	return a
}

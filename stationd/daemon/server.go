package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"

	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
)

func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.PathStatus, d.getStatus)
	mux.HandleFunc("GET "+api.PathJobs, d.listJobs)
	mux.HandleFunc("POST "+api.PathJobs, d.createJob)
	mux.HandleFunc("GET "+api.PathJob, d.getJob)
	mux.HandleFunc("POST "+api.PathCancel, d.cancelJob)
	mux.HandleFunc("POST "+api.PathTamperClear, d.clearTamper)
	mux.HandleFunc("POST "+api.PathRobotReset, d.resetRobot)
	mux.HandleFunc("GET "+api.PathDrain, d.getDrain)
	mux.HandleFunc("POST "+api.PathDrain, d.postDrain)
	mux.HandleFunc("POST "+api.PathDriveEnable, d.enableDrive)
	return mux
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func replyErr(w http.ResponseWriter, code int, short string, err error) {
	reply(w, code, &api.Error{Code: short, Message: err.Error()})
}

// decode reads a bounded JSON body, refusing unknown fields and trailing
// data.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, api.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body is not the expected JSON: %v", ErrBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON body", ErrBadRequest)
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// CheckBurn validates a burn request from outside the process.
func CheckBurn(b *api.BurnRequest) error {
	switch {
	case !idPattern.MatchString(b.TitleID):
		return fmt.Errorf("%w: title must be 1 to 64 letters, digits, '.', '_' or '-'", ErrBadRequest)
	case !idPattern.MatchString(b.TokenID):
		return fmt.Errorf("%w: token must be 1 to 64 letters, digits, '.', '_' or '-'", ErrBadRequest)
	case len(b.Grant) > 4096:
		return fmt.Errorf("%w: authorization is larger than 4 KiB", ErrBadRequest)
	}
	return nil
}

func (d *Daemon) getStatus(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, d.Status(r.Context()))
}

// Status reports the station at a glance.
func (d *Daemon) Status(ctx context.Context) *api.Status {
	s := &api.Status{StationID: d.ledger.StationID(), Ready: true, Jobs: map[string]int{}, KeysHeld: d.keys.Len()}
	if d.panel != nil {
		s.Tampered, s.DoorOpen = d.panel.Tampered(), d.panel.DoorOpen()
	}
	s.Tampered = s.Tampered || d.isTampered()
	s.Ready = !s.Tampered
	s.Draining = d.draining()
	s.Nodes, s.NodesReachable = d.nodeStatus()
	s.Robot = d.robotStatus(ctx)
	d.mu.Lock()
	s.DiscMovesHeld = d.movesHeld
	d.mu.Unlock()
	if counts, err := d.store.Counts(ctx); err == nil {
		for st, n := range counts {
			s.Jobs[string(st)] = n
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, dr := range d.drives {
		ds := api.DriveStatus{Index: i, Name: dr.Name(), JobID: d.driveJob[i], State: "idle"}
		if err := d.driveFailure(i); err != nil {
			ds.State, ds.Error, ds.Disc = "failed", err.Error(), d.discLeft(i)
			ds.NeedsEnable, ds.NextProbe = d.probePlan(i)
		} else if ds.JobID != "" {
			ds.State = "busy"
			if p := d.progress[ds.JobID]; p != nil {
				ds.State = p.Phase
			}
		}
		s.Drives = append(s.Drives, ds)
	}
	return s
}

func (d *Daemon) listJobs(w http.ResponseWriter, r *http.Request) {
	list := d.store.List
	if r.URL.Query().Get("active") == "1" {
		list = d.store.Active
	}
	jobs, err := list(r.Context())
	if err != nil {
		replyErr(w, http.StatusInternalServerError, "journal", err)
		return
	}
	out := make([]api.Job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, d.withProgress(j))
	}
	reply(w, http.StatusOK, out)
}

func (d *Daemon) withProgress(j job.Job) api.Job {
	j.Grant = nil
	d.mu.Lock()
	defer d.mu.Unlock()
	out := api.Job{Job: j}
	if p := d.progress[j.ID]; p != nil {
		c := *p
		out.Progress = &c
	}
	return out
}

func (d *Daemon) createJob(w http.ResponseWriter, r *http.Request) {
	var b api.BurnRequest
	if err := decode(r, &b); err != nil {
		replyErr(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	if err := CheckBurn(&b); err != nil {
		replyErr(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	j, err := d.Submit(r.Context(), b)
	if errors.Is(err, kiosk.ErrTampered) {
		replyErr(w, http.StatusServiceUnavailable, "tampered", err)
		return
	}
	if errors.Is(err, ErrDraining) {
		replyErr(w, http.StatusServiceUnavailable, "draining", err)
		return
	}
	if err != nil {
		replyErr(w, http.StatusInternalServerError, "journal", err)
		return
	}
	reply(w, http.StatusCreated, d.withProgress(j))
}

// Submit queues a copy job.
func (d *Daemon) Submit(ctx context.Context, b api.BurnRequest) (job.Job, error) {
	if err := d.mayStart(ctx); err != nil {
		return job.Job{}, err
	}
	if d.draining() {
		return job.Job{}, fmt.Errorf("stationd: start a copy: %w", ErrDraining)
	}
	id, err := d.newID()
	if err != nil {
		return job.Job{}, err
	}
	j := job.Job{ID: id, Drive: -1, TitleID: b.TitleID, TokenID: b.TokenID, Grant: b.Grant}
	if err := d.store.Create(ctx, j); err != nil {
		return job.Job{}, err
	}
	d.refreshMetrics(ctx)
	d.wakeAll()
	return d.store.Get(ctx, id)
}

// wakeAll tells every drive's worker a job may be waiting.
func (d *Daemon) wakeAll() {
	for _, c := range d.wake {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (d *Daemon) getJob(w http.ResponseWriter, r *http.Request) {
	j, err := d.store.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, journal.ErrNotFound) {
		replyErr(w, http.StatusNotFound, "not_found", fmt.Errorf("%w: %s", ErrUnknownJob, r.PathValue("id")))
		return
	}
	if err != nil {
		replyErr(w, http.StatusInternalServerError, "journal", err)
		return
	}
	reply(w, http.StatusOK, d.withProgress(j))
}

func (d *Daemon) cancelJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	j, err := d.store.Update(r.Context(), id, func(x *job.Job) {
		if !x.State.Terminal() {
			x.Cancel = true
		}
	})
	if errors.Is(err, journal.ErrNotFound) {
		replyErr(w, http.StatusNotFound, "not_found", fmt.Errorf("%w: %s", ErrUnknownJob, id))
		return
	}
	if err != nil {
		replyErr(w, http.StatusInternalServerError, "journal", err)
		return
	}
	d.stopPipeline(id)
	reply(w, http.StatusOK, d.withProgress(j))
}

func (d *Daemon) clearTamper(w http.ResponseWriter, r *http.Request) {
	var b api.TamperClear
	if err := decode(r, &b); err != nil {
		replyErr(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	if d.panel == nil {
		replyErr(w, http.StatusConflict, "no_kiosk", errors.New("this station has no kiosk panel"))
		return
	}
	if err := d.panel.ClearTamper(b.Code); err != nil {
		replyErr(w, http.StatusForbidden, "tamper", err)
		return
	}
	if err := d.clearTamperLatch(r.Context()); err != nil {
		replyErr(w, http.StatusInternalServerError, "journal", fmt.Errorf("the panel cleared, but the journal still holds the alarm (clear again once the state directory is writable): %w", err))
		return
	}
	reply(w, http.StatusOK, d.Status(r.Context()))
}

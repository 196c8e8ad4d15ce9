package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client talks to a daemon's socket.
type Client struct {
	hc *http.Client
}

// ErrNoDaemon is returned when nothing answers on the socket.
var ErrNoDaemon = errors.New("no station daemon answers on the socket: is stationd running, and is --socket right?")

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	return &Client{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Status fetches the station status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, PathStatus, nil, &s)
}

// Jobs lists the jobs: all of them, or only those not yet done or failed.
func (c *Client) Jobs(ctx context.Context, activeOnly ...bool) ([]Job, error) {
	var j []Job
	path := PathJobs
	if len(activeOnly) > 0 && activeOnly[0] {
		path += "?active=1"
	}
	return j, c.do(ctx, http.MethodGet, path, nil, &j)
}

// Job fetches one job with its progress.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodGet, strings.Replace(PathJob, "{id}", id, 1), nil, &j)
}

// Burn starts a copy.
func (c *Client) Burn(ctx context.Context, r BurnRequest) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodPost, PathJobs, r, &j)
}

// Cancel asks a job to stop.
func (c *Client) Cancel(ctx context.Context, id string) (*Job, error) {
	var j Job
	return &j, c.do(ctx, http.MethodPost, strings.Replace(PathCancel, "{id}", id, 1), struct{}{}, &j)
}

// ClearTamper clears the tamper alarm.
func (c *Client) ClearTamper(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodPost, PathTamperClear, TamperClear{Code: code}, nil)
}

// ResetRobot tells the robot a person has freed a jam (RESET).
func (c *Client) ResetRobot(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, PathRobotReset, struct{}{}, nil)
}

// EnableDrive returns drive n, out of service, to service (the daemon
// probes it first).
func (c *Client) EnableDrive(ctx context.Context, n int) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodPost, strings.Replace(PathDriveEnable, "{n}", strconv.Itoa(n), 1), struct{}{}, &s)
}

// ErrDrainUnsupported means the daemon answering predates the drain (an
// upgrade from an older version): the caller falls back to waiting for
// the station to be idle by its job list.
var ErrDrainUnsupported = errors.New("the running stationd has no drain (an older version): wait for no active job instead")

// ErrDrainTimeout means jobs still ran when the wait for a drain ended.
var ErrDrainTimeout = errors.New("the station is still burning")

// Drain starts the drain for an update (cancel false) or ends it.
func (c *Client) Drain(ctx context.Context, cancel bool) (*DrainStatus, error) {
	var s DrainStatus
	err := c.do(ctx, http.MethodPost, PathDrain, DrainRequest{Cancel: cancel}, &s)
	if e, ok := errors.AsType[*statusError](err); ok && e.code == http.StatusNotFound {
		return nil, fmt.Errorf("stationd drain: %w", ErrDrainUnsupported)
	}
	return &s, err
}

// DrainStatus fetches the drain's state.
func (c *Client) DrainStatus(ctx context.Context) (*DrainStatus, error) {
	var s DrainStatus
	return &s, c.do(ctx, http.MethodGet, PathDrain, nil, &s)
}

// WaitDrained polls the drain every poll until it is idle (no job busy),
// and fails with ErrDrainTimeout, naming the jobs still busy, when ctx
// ends first. A drain cancelled meanwhile (by someone else) is an error.
func (c *Client) WaitDrained(ctx context.Context, poll time.Duration) (*DrainStatus, error) {
	last := &DrainStatus{Draining: true}
	for {
		s, err := c.DrainStatus(ctx)
		switch {
		case ctx.Err() != nil:
			return last, fmt.Errorf("stationd drain: %w at the deadline: jobs %v run on", ErrDrainTimeout, last.Busy)
		case err != nil:
			return nil, fmt.Errorf("stationd drain: %w", err)
		case s.Idle:
			return s, nil
		case !s.Draining:
			return s, errors.New("stationd drain: the drain was cancelled while waiting")
		}
		last = s
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
}

// statusError is an answer that was not 2xx and not the API's JSON error
// (a 404 from a daemon that predates a path).
type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return "stationd answered " + e.status }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://stationd"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return fmt.Errorf("%w (%v)", ErrNoDaemon, op.Err)
		}
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e Error
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			return &statusError{resp.StatusCode, resp.Status}
		}
		return &e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("stationd answered garbage: %w", err)
	}
	return nil
}

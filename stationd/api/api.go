// Package api is the station daemon's local API on a Unix socket (HTTP and
// JSON): its messages and a client for the CLI.
package api

import (
	"time"

	"copystation/stationd/job"
)

// Paths of the local API.
const (
	PathStatus      = "/v1/status"
	PathJobs        = "/v1/jobs"      // GET list, POST create
	PathJob         = "/v1/jobs/{id}" // GET one, with progress
	PathCancel      = "/v1/jobs/{id}/cancel"
	PathTamperClear = "/v1/tamper/clear"      // POST
	PathRobotReset  = "/v1/robot/reset"       // POST: a person freed a jam
	PathDrain       = "/v1/drain"             // GET the drain, POST start or cancel it
	PathDriveEnable = "/v1/drives/{n}/enable" // POST: an operator returns drive n to service
	MaxBody         = 64 << 10                // request bodies are small; refuse more
)

// BurnRequest asks for a copy.
type BurnRequest struct {
	TitleID string `json:"title_id"`
	TokenID string `json:"token_id"`
	// Grant is the customer's signed authorisation (kiosk), raw bytes.
	Grant []byte `json:"grant,omitempty"`
}

// DrainRequest starts the drain for an update, or with Cancel ends it.
type DrainRequest struct {
	Cancel bool `json:"cancel,omitempty"`
}

// DrainStatus is the update drain: while Draining no new copy starts
// (POST /v1/jobs answers 503 with code "draining"; queued jobs wait before
// their blank is loaded) and the jobs in Busy run to their end. Idle (draining with
// no job busy) is when an update may restart the daemon; the drain is
// in memory only, so the restarted daemon admits jobs again.
type DrainStatus struct {
	Draining bool `json:"draining"`
	// Busy are the unfinished jobs past the admission gate (a blank
	// loaded for them); jobs still waiting to start are not in it.
	Busy []string `json:"busy"`
	Idle bool     `json:"idle"`
}

// TamperClear clears a latched tamper alarm.
type TamperClear struct {
	Code string `json:"code"`
}

// Progress is a job's live progress, kept in memory only.
type Progress struct {
	Phase       string        `json:"phase"`
	Done        int64         `json:"done_bytes"`
	Total       int64         `json:"total_bytes"`
	BytesPerSec float64       `json:"bytes_per_second"`
	ETA         time.Duration `json:"eta_ns"`
	// Waiting says why the job is held (no blank, ledger unreachable, door
	// open, tamper alarm); it is retried until the cause goes away.
	Waiting string `json:"waiting,omitempty"`
}

// Job is a job with its live progress.
type Job struct {
	job.Job
	Progress *Progress `json:"progress,omitempty"`
}

// DriveStatus is one drive slot.
type DriveStatus struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	JobID string `json:"job_id,omitempty"`
	// State is idle, busy, a job's phase, or failed (Error says why: the
	// drive could not be opened, or failed in service; it gets no job).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Disc names a disc a failed drive still holds, for a person to take
	// out by hand (the robot reaches a disc only through a working tray).
	Disc string `json:"disc,omitempty"`
	// NeedsEnable: the drive failed with a hardware error and is not
	// re-probed; it returns by `stationd drive enable N` only.
	NeedsEnable bool `json:"needs_enable,omitempty"`
	// NextProbe is when a failed drive is probed again (zero: never).
	NextProbe time.Time `json:"next_probe,omitzero"`
}

// Status is the station at a glance.
type Status struct {
	StationID string `json:"station_id"`
	Ready     bool   `json:"ready"`
	Tampered  bool   `json:"tampered"`
	// Draining says the station drains for a software update: running
	// jobs finish, no new copy starts (see DrainStatus).
	Draining bool `json:"draining,omitempty"`
	DoorOpen bool `json:"door_open"`
	// DiscMovesHeld counts robot moves waiting for the door to close (or
	// a tamper alarm to clear).
	DiscMovesHeld int            `json:"disc_moves_held"`
	Drives        []DriveStatus  `json:"drives"`
	Jobs          map[string]int `json:"jobs"`
	KeysHeld      int            `json:"keys_held"`
	// Ready says the daemon serves and takes jobs; whether a validation
	// node answers is separate: NodesReachable of len(Nodes).
	NodesReachable int          `json:"nodes_reachable"`
	Nodes          []NodeStatus `json:"nodes"`
	// Robot is the disc robot's bins (nil: discs are loaded by hand).
	Robot *RobotStatus `json:"robot,omitempty"`
}

// RobotStatus is the disc robot's STATUS, read when the status was asked.
type RobotStatus struct {
	Input    int  `json:"input"`    // blanks left
	Output   int  `json:"output"`   // made discs
	Rejected int  `json:"rejected"` // spoiled discs and rejected blanks
	Jammed   bool `json:"jammed"`
	// Error says why the robot did not answer (then the counts are zero).
	Error string `json:"error,omitempty"`
}

// NodeStatus is what the station last saw of one configured validation
// node: whether a TCP connection to its address opened.
type NodeStatus struct {
	Address   string `json:"address"`
	Reachable bool   `json:"reachable"`
	// Checked is when it was last tried (zero: not yet).
	Checked time.Time `json:"checked"`
	// Error says why it was not reachable.
	Error string `json:"error,omitempty"`
}

// Error is every error answer.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message + " (" + e.Code + ")" }

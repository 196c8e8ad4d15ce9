// Package journal keeps the station's copy jobs and every state transition,
// durably, so a restarted daemon knows exactly where each job stood.
package journal

import (
	"context"
	"errors"
	"time"

	"copystation/stationd/job"
)

// Store is the job journal. Every transition is journaled before the daemon
// acts on it: Transition returns only once the new state is durable.
type Store interface {
	// Create records a new job in state Queued.
	Create(ctx context.Context, j job.Job) error
	// Transition moves job id from state from to state to, applying update
	// to the record in the same durable write. It fails with ErrConflict if
	// the job is not in from, and with job.ErrIllegalTransition if the
	// machine forbids the move.
	Transition(ctx context.Context, id string, from, to job.State, note string, update func(*job.Job)) (job.Job, error)
	// Update changes fields of a job without changing its state.
	Update(ctx context.Context, id string, update func(*job.Job)) (job.Job, error)
	// Get returns one job.
	Get(ctx context.Context, id string) (job.Job, error)
	// List returns every job, oldest first.
	List(ctx context.Context) ([]job.Job, error)
	// Active returns the jobs not yet done or failed, oldest first: what a
	// daemon that has run for years scans, rather than its whole history.
	Active(ctx context.Context) ([]job.Job, error)
	// Counts returns how many jobs are in each state.
	Counts(ctx context.Context) (map[job.State]int, error)
	// Events returns a job's transitions in order.
	Events(ctx context.Context, id string) ([]job.Event, error)
	// Flag reads a station-wide flag (FlagTamper); false if never set.
	Flag(ctx context.Context, name string) (bool, error)
	// SetFlag sets or clears a flag; it returns once the change is
	// durable.
	SetFlag(ctx context.Context, name string, on bool) error
	Close() error
}

// FlagTamper is the tamper alarm's latch: set when the enclosure is
// opened, cleared only by an operator, so a power cycle does not forget it.
const FlagTamper = "tamper"

// Errors.
var (
	ErrNotFound = errors.New("no such job")
	ErrExists   = errors.New("job already exists")
	ErrConflict = errors.New("job is not in the expected state")
)

// Clock gives the time; the daemon injects it.
type Clock func() time.Time

// apply runs the checks and edits a transition makes, on a copy of the job.
func apply(j job.Job, from, to job.State, now time.Time, update func(*job.Job)) (job.Job, error) {
	if j.State != from {
		return j, ErrConflict
	}
	if err := job.Check(from, to); err != nil {
		return j, err
	}
	if update != nil {
		update(&j)
	}
	j.State, j.Updated = to, now
	return j, nil
}

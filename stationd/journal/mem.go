package journal

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"copystation/stationd/job"
)

// Mem is a Store held in memory, for tests and tools that need no durability.
type Mem struct {
	now    Clock
	mu     sync.Mutex
	jobs   map[string]job.Job
	order  []string
	events []job.Event
	flags  map[string]bool
}

var _ Store = (*Mem)(nil)

// NewMem returns an empty in-memory journal. A nil clock means time.Now.
func NewMem(now Clock) *Mem {
	if now == nil {
		now = time.Now
	}
	return &Mem{now: now, jobs: map[string]job.Job{}, flags: map[string]bool{}}
}

// Create implements Store.
func (m *Mem) Create(_ context.Context, j job.Job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.jobs[j.ID]; ok {
		return fmt.Errorf("journal.Create %s: %w", j.ID, ErrExists)
	}
	t := m.now()
	j.State, j.Created, j.Updated = job.Queued, t, t
	m.jobs[j.ID] = clone(j)
	m.order = append(m.order, j.ID)
	m.events = append(m.events, job.Event{Seq: int64(len(m.events) + 1), JobID: j.ID, To: job.Queued, At: t})
	return nil
}

// Transition implements Store.
func (m *Mem) Transition(_ context.Context, id string, from, to job.State, note string, update func(*job.Job)) (job.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return job.Job{}, fmt.Errorf("journal.Transition %s: %w", id, ErrNotFound)
	}
	t := m.now()
	n, err := apply(clone(j), from, to, t, update)
	if err != nil {
		return clone(j), fmt.Errorf("journal.Transition %s (%s -> %s, job is %s): %w", id, from, to, j.State, err)
	}
	m.jobs[id] = clone(n)
	m.events = append(m.events, job.Event{Seq: int64(len(m.events) + 1), JobID: id, From: from, To: to, At: t, Note: note})
	return n, nil
}

// Update implements Store.
func (m *Mem) Update(_ context.Context, id string, update func(*job.Job)) (job.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return job.Job{}, fmt.Errorf("journal.Update %s: %w", id, ErrNotFound)
	}
	n := clone(j)
	update(&n)
	n.ID, n.State, n.Updated = j.ID, j.State, m.now()
	m.jobs[id] = clone(n)
	return n, nil
}

// Get implements Store.
func (m *Mem) Get(_ context.Context, id string) (job.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return job.Job{}, fmt.Errorf("journal.Get %s: %w", id, ErrNotFound)
	}
	return clone(j), nil
}

// List implements Store.
func (m *Mem) List(_ context.Context) ([]job.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]job.Job, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, clone(m.jobs[id]))
	}
	return out, nil
}

// Active implements Store.
func (m *Mem) Active(ctx context.Context) ([]job.Job, error) {
	all, _ := m.List(ctx)
	out := all[:0]
	for _, j := range all {
		if !j.State.Terminal() {
			out = append(out, j)
		}
	}
	return out, nil
}

// Counts implements Store.
func (m *Mem) Counts(ctx context.Context) (map[job.State]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := map[job.State]int{}
	for _, j := range m.jobs {
		c[j.State]++
	}
	return c, nil
}

// Events implements Store.
func (m *Mem) Events(_ context.Context, id string) ([]job.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []job.Event
	for _, e := range m.events {
		if e.JobID == id {
			out = append(out, e)
		}
	}
	return out, nil
}

// Close implements Store.
func (m *Mem) Close() error { return nil }

func clone(j job.Job) job.Job {
	j.Grant = slices.Clone(j.Grant)
	j.MediaID = slices.Clone(j.MediaID)
	j.DiscDigest = slices.Clone(j.DiscDigest)
	return j
}

// Flag implements Store.
func (m *Mem) Flag(_ context.Context, name string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.flags[name], nil
}

// SetFlag implements Store.
func (m *Mem) SetFlag(_ context.Context, name string, on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flags[name] = on
	return nil
}

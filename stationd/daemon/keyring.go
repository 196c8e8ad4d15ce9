package daemon

import (
	"sync"

	"copystation/keys"
)

// KeyRing holds copy keys in memory, by job, and wipes them on demand.
type KeyRing struct {
	mu sync.Mutex
	m  map[string]*keys.CopyKeys
}

// NewKeyRing returns an empty ring.
func NewKeyRing() *KeyRing { return &KeyRing{m: map[string]*keys.CopyKeys{}} }

// Put stores a job's keys, wiping any it held before.
func (r *KeyRing) Put(jobID string, k *keys.CopyKeys) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.m[jobID]; old != nil && old != k {
		old.Wipe()
	}
	r.m[jobID] = k
}

// Get returns a job's keys, or nil.
func (r *KeyRing) Get(jobID string) *keys.CopyKeys {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[jobID]
}

// Drop wipes and forgets a job's keys.
func (r *KeyRing) Drop(jobID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.m[jobID]; k != nil {
		k.Wipe()
	}
	delete(r.m, jobID)
}

// WipeAll wipes every key held (the tamper switch calls it).
func (r *KeyRing) WipeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, k := range r.m {
		k.Wipe()
		delete(r.m, id)
	}
}

// Len counts the jobs whose keys are held.
func (r *KeyRing) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

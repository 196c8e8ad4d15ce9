// Package job is the copy job's state machine: the states a burn passes
// through and which transitions between them are legal.
package job

import (
	"errors"
	"fmt"
	"time"
)

// State is where a copy job stands. The values are stored in the journal, so
// they never change once released.
type State string

// The states of a copy job, in the order a good burn takes them.
const (
	Queued      State = "queued"
	MediaCheck  State = "media_check"
	Authorising State = "authorising"
	Authorised  State = "authorised"
	Writing     State = "writing"
	Verifying   State = "verifying"
	Finalising  State = "finalising"
	Reporting   State = "reporting"
	Done        State = "done"
	// Spoiled: the blank was ruined after the spend; the job is retried on
	// a new blank under the same spend, or fails when retries run out.
	Spoiled State = "spoiled"
	// Failed: the job ended without a copy (refused, cancelled, or out of
	// retries; a spend, if any, carries a spoiled record on the ledger).
	Failed State = "failed"
)

// States lists every state, in burn order then the side exits.
var States = []State{Queued, MediaCheck, Authorising, Authorised, Writing,
	Verifying, Finalising, Reporting, Done, Spoiled, Failed}

// legal maps each state to the states it may move to.
var legal = map[State][]State{
	Queued:      {MediaCheck, Failed},
	MediaCheck:  {Authorising, Failed},
	Authorising: {Authorised, Failed},
	Authorised:  {Writing, Spoiled},
	Writing:     {Verifying, Spoiled, Authorised}, // Authorised: resumed on an untouched blank
	Verifying:   {Finalising, Spoiled},
	Finalising:  {Reporting, Spoiled},
	Reporting:   {Done},
	Spoiled:     {MediaCheck, Failed},
}

// Next returns the states s may move to, as the table lists them: the
// first is where a good burn goes next.
func Next(s State) []State { return append([]State(nil), legal[s]...) }

// Path is a good burn's states in order, Queued to Done, each the first
// move the table lists from the one before: what the crash test walks.
func Path() []State {
	out := []State{Queued}
	for s := Queued; len(legal[s]) > 0 && len(out) <= len(States); {
		s = legal[s][0]
		out = append(out, s)
	}
	return out
}

// ErrIllegalTransition is returned for a transition the machine forbids.
var ErrIllegalTransition = errors.New("illegal job state transition")

// ErrUnknownState is returned for a state name the machine does not know.
var ErrUnknownState = errors.New("unknown job state")

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, k := range States {
		if s == k {
			return true
		}
	}
	return false
}

// Terminal reports whether a job in s is finished.
func (s State) Terminal() bool { return s == Done || s == Failed }

// Spent reports whether a job in s may hold a spend on the ledger: from the
// moment the copy request is sent, the token must end with a made or
// spoiled record.
func (s State) Spent() bool {
	switch s {
	case Queued, MediaCheck:
		return false
	}
	return true
}

// Check returns nil when from -> to is a legal transition.
func Check(from, to State) error {
	if !from.Valid() {
		return fmt.Errorf("job.Check: %w: %q", ErrUnknownState, from)
	}
	if !to.Valid() {
		return fmt.Errorf("job.Check: %w: %q", ErrUnknownState, to)
	}
	for _, s := range legal[from] {
		if s == to {
			return nil
		}
	}
	return fmt.Errorf("job.Check: %w: %s -> %s", ErrIllegalTransition, from, to)
}

// Receipt is the ledger's record of the spend that authorised a job.
type Receipt struct {
	Height int64  `json:"height"`
	TxHash string `json:"tx_hash"`
}

// Job is one copy: a token turned into a disc on one drive.
type Job struct {
	ID      string `json:"id"`
	Drive   int    `json:"drive"`
	TitleID string `json:"title_id"`
	TokenID string `json:"token_id"`
	// Grant is the customer's signed authorisation (kiosk), empty when the
	// station owns the token.
	Grant []byte `json:"grant,omitempty"`
	State State  `json:"state"`
	// Attempt counts blanks used, from 1; a spoiled disc starts the next.
	Attempt    int     `json:"attempt"`
	MediaID    []byte  `json:"media_id,omitempty"`
	Profile    uint16  `json:"profile,omitempty"`
	CopyID     string  `json:"copy_id,omitempty"`
	Receipt    Receipt `json:"receipt"`
	DiscDigest []byte  `json:"disc_digest,omitempty"`
	// PrevReport is the ledger's name (digest) for the report that spoiled
	// the previous attempt; a retry's spend must carry it.
	PrevReport []byte `json:"prev_report,omitempty"`
	// Reason is why the job last spoiled or failed, in words for a person.
	Reason string `json:"reason,omitempty"`
	// Code is the ledger's refusal code when the job failed on a refusal.
	Code string `json:"code,omitempty"`
	// NoRetry is set when another blank cannot cure the failure.
	NoRetry bool `json:"no_retry,omitempty"`
	// Resume is set when the job's write was cut off (a restart) on a
	// BD-R that lets it continue at the next writable address.
	Resume bool `json:"resume,omitempty"`
	// Cancel is set when someone asked to stop the job.
	Cancel  bool      `json:"cancel,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Event is one journaled transition.
type Event struct {
	Seq   int64     `json:"seq"`
	JobID string    `json:"job_id"`
	From  State     `json:"from"`
	To    State     `json:"to"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
}

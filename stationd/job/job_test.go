package job

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		from, to State
		want     error
	}{
		{"queued to media check", Queued, MediaCheck, nil},
		{"media check to authorising", MediaCheck, Authorising, nil},
		{"authorising to authorised", Authorising, Authorised, nil},
		{"refusal fails", Authorising, Failed, nil},
		{"authorised to writing", Authorised, Writing, nil},
		{"writing to verifying", Writing, Verifying, nil},
		{"verifying to finalising", Verifying, Finalising, nil},
		{"finalising to reporting", Finalising, Reporting, nil},
		{"reporting to done", Reporting, Done, nil},
		{"write error spoils", Writing, Spoiled, nil},
		{"verify mismatch spoils", Verifying, Spoiled, nil},
		{"spoiled retries", Spoiled, MediaCheck, nil},
		{"spoiled out of retries", Spoiled, Failed, nil},
		{"cancel before spend", Queued, Failed, nil},
		{"skip authorisation", MediaCheck, Writing, ErrIllegalTransition},
		{"write before authorised", Queued, Writing, ErrIllegalTransition},
		{"done is final", Done, Queued, ErrIllegalTransition},
		{"failed is final", Failed, MediaCheck, ErrIllegalTransition},
		{"spent job cannot silently fail", Writing, Failed, ErrIllegalTransition},
		{"reporting cannot spoil", Reporting, Spoiled, ErrIllegalTransition},
		{"no self loop", Writing, Writing, ErrIllegalTransition},
		{"backwards", Verifying, Writing, ErrIllegalTransition},
		{"unknown from", State("burning"), Done, ErrUnknownState},
		{"unknown to", Queued, State(""), ErrUnknownState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.from, tt.to)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Check(%s, %s) = %v, want %v", tt.from, tt.to, err, tt.want)
			}
		})
	}
}

// Every state that holds a spend must have a path to a made or spoiled
// record: no spent state may reach Failed except through Spoiled. Authorising
// may fail, but only on the ledger's refusal, which says nothing was spent.
func TestSpentNeverFailsWithoutSpoil(t *testing.T) {
	for _, s := range States {
		if !s.Spent() || s == Spoiled || s == Authorising || s.Terminal() {
			continue
		}
		if err := Check(s, Failed); err == nil {
			t.Errorf("Check(%s, failed) = nil, want an error: a spent job must spoil first", s)
		}
	}
}

func TestEveryStateReachesTerminal(t *testing.T) {
	for _, s := range States {
		seen := map[State]bool{}
		var walk func(State) bool
		walk = func(x State) bool {
			if x.Terminal() {
				return true
			}
			if seen[x] {
				return false
			}
			seen[x] = true
			for _, n := range legal[x] {
				if walk(n) {
					return true
				}
			}
			return false
		}
		if !walk(s) {
			t.Errorf("state %s cannot reach done or failed", s)
		}
	}
}

// TestPath: a good burn walks the table's first moves from queued to done,
// through every state of a burn once.
func TestPath(t *testing.T) {
	want := []State{Queued, MediaCheck, Authorising, Authorised, Writing, Verifying, Finalising, Reporting, Done}
	got := Path()
	if len(got) != len(want) {
		t.Fatalf("Path() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Path() = %v, want %v", got, want)
		}
	}
	if n := Next(Writing); len(n) != 3 || n[0] != Verifying {
		t.Errorf("Next(writing) = %v, want verifying first, then spoiled and authorised", n)
	}
}

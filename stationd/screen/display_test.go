package screen

import (
	"errors"
	"testing"
)

func TestParseDisplay(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"full", `{"name":"A Film","running_minutes":96,"year":2026,"synopsis":"x"}`, true},
		{"minimal", `{"name":"A","running_minutes":1}`, true},
		{"no name", `{"running_minutes":96}`, false},
		{"blank name", `{"name":"  ","running_minutes":96}`, false},
		{"control character", `{"name":"A\u0007","running_minutes":96}`, false},
		{"unknown field", `{"name":"A","running_minutes":96,"poster":"http://x"}`, false},
		{"zero running time", `{"name":"A","running_minutes":0}`, false},
		{"trailing data", `{"name":"A","running_minutes":9} {}`, false},
		{"not JSON", `name=A`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDisplay([]byte(tt.in))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrDisplay)) {
				t.Errorf("ParseDisplay(%s) = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

// FuzzParseDisplay: a sidecar is outside input (it ships with a package).
func FuzzParseDisplay(f *testing.F) {
	f.Add([]byte(`{"name":"A Film","running_minutes":96,"year":2026,"synopsis":"x"}`))
	f.Add([]byte(`{"name":"A","running_minutes":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDisplay(b)
		if err != nil {
			if !errors.Is(err, ErrDisplay) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if d.Name == "" || d.RunningMinutes < 1 {
			t.Fatalf("accepted %+v", d)
		}
	})
}

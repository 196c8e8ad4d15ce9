package tracetest

import "testing"

func TestTop(t *testing.T) {
	tests := []struct {
		name    string
		accused []Accused
		want    string
	}{
		{"none", nil, ""},
		{"one", []Accused{{Copy: "a", Score: -1}}, "a"},
		{"highest, not first", []Accused{{Copy: "a", Score: 3}, {Copy: "b", Score: 7}, {Copy: "c", Score: 5}}, "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Output{Accused: tc.accused}).Top(); got != tc.want {
				t.Errorf("Top(%+v) = %q, want %q", tc.accused, got, tc.want)
			}
		})
	}
}

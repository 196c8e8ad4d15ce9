package daemon

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	tests := []struct {
		name string
		env  *string
		want int
	}{
		{"GOGC unset: the daemon's", nil, GCPercent},
		{"GOGC set: the operator's", ptr("100"), 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", "restored after the test")
			if tt.env == nil {
				os.Unsetenv("GOGC")
			} else {
				os.Setenv("GOGC", *tt.env)
			}
			debug.SetGCPercent(100)
			SetGCPercent()
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Errorf("GC percent after SetGCPercent() = %d, want %d", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

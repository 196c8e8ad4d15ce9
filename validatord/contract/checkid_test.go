package contract

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckIDNamesTheCharacter: a refused ID names the character as
// sent, not a byte of a multi-byte character printed as another one.
func TestCheckIDNamesTheCharacter(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"two-byte", "jöb-1", `'ö'`},
		{"three-byte", "job€", `'€'`},
		{"bidi override", "job\u202e1", `'\u202e'`},
		{"ascii", "job/1", `'/'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkID("job ID", tt.id)
			if r == nil || r.code != CodeBadField || !strings.Contains(r.detail, tt.want) {
				t.Fatalf("checkID(%q) = %+v, want %v naming %s", tt.id, r, CodeBadField, tt.want)
			}
			if err := CheckID("job ID", tt.id); !errors.Is(err, CodeBadField) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckID(%q) = %v, want %v naming %s", tt.id, err, CodeBadField, tt.want)
			}
		})
	}
	if err := CheckID("job ID", "job-1.a_b:c"); err != nil {
		t.Fatalf("CheckID(job-1.a_b:c) = %v, want nil", err)
	}
}

package screen

import (
	"errors"
	"testing"
)

func TestParseHomeTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		ok   bool
	}{
		{"two", "# the appliance's tokens\nhome-1 film\n\n  home-2   film-2  \n", 2, true},
		{"empty", "", 0, true},
		{"one field", "home-1\n", 0, false},
		{"three fields", "home-1 film extra\n", 0, false},
		{"bad character", "home/1 film\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHomeTokens([]byte(tt.in))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrHomeTokens)) || len(got) != tt.want {
				t.Errorf("ParseHomeTokens = %v, %v; want %d tokens, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

// FuzzParseHomeTokens: the file is written by hand; anything in it gives
// valid tokens or a typed error.
func FuzzParseHomeTokens(f *testing.F) {
	f.Add([]byte("home-1 film\n# c\nhome-2 film-2\n"))
	f.Add([]byte("a b c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseHomeTokens(b)
		if err != nil {
			if !errors.Is(err, ErrHomeTokens) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, h := range got {
			if !homeID.MatchString(h.Token) || !homeID.MatchString(h.Title) {
				t.Fatalf("accepted %+v", h)
			}
		}
	})
}

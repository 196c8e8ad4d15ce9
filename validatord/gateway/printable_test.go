package gateway

import (
	"strings"
	"testing"

	"copystation/protocol"
)

func TestPrintableRefusalDecodes(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"newline and tab", "line one\nline\ttwo"},
		{"invalid utf8", "bad \xff\xfe bytes"},
		{"too long, cut inside a rune", strings.Repeat("é", protocol.MaxMessageLen)},
		{"plain", "token tok-1 was spent by job job-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := refusal(protocol.CodeTokenSpent, "%s", tt.in)
			m, err := protocol.Unmarshal(protocol.Marshal(r))
			if err != nil {
				t.Fatalf("Unmarshal(refusal(%q)) = %v, want it to decode", tt.in, err)
			}
			if got := m.(*protocol.RefusalMsg).Message; len(got) > protocol.MaxMessageLen || len(got) == 0 {
				t.Fatalf("refusal message is %d bytes, want 1..%d", len(got), protocol.MaxMessageLen)
			}
		})
	}
}

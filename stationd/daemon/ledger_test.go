package daemon

import (
	"testing"

	"copystation/protocol"
)

func TestRefusalCodesUnique(t *testing.T) {
	seen := map[string]protocol.Code{}
	for c, s := range refusalCodes {
		if other, dup := seen[s]; dup {
			t.Errorf("refusal code %q names both %v and %v", s, c, other)
		}
		seen[s] = c
	}
}

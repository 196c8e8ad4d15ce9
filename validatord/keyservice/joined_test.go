package keyservice

import (
	"errors"
	"testing"
)

// TestJoinedNodeHasNoDeposit: a node that joined after genesis runs with no
// deposit key; asked for a deposited title's package key it refuses with
// ErrPackageKey instead of panicking (a nil key dereferenced).
func TestJoinedNodeHasNoDeposit(t *testing.T) {
	s := New(nil, Custody{})
	if _, err := s.OpenPackageKey("title-1", []byte("sealed")); !errors.Is(err, ErrPackageKey) {
		t.Fatalf("OpenPackageKey without a deposit key = %v, want %v", err, ErrPackageKey)
	}
}

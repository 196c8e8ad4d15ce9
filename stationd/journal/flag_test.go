package journal

import (
	"context"
	"path/filepath"
	"testing"
)

// TestFlagDurable: a flag set in the SQLite journal reads back after the
// journal is closed and opened again (the tamper latch across a power
// cycle); the memory store keeps it too.
func TestFlagDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	s, err := OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if on, err := s.Flag(ctx, FlagTamper); err != nil || on {
		t.Fatalf("Flag(new journal) = %v, %v, want false", on, err)
	}
	if err := s.SetFlag(ctx, FlagTamper, true); err != nil {
		t.Fatalf("SetFlag = %v", err)
	}
	s.Close()
	s, err = OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if on, err := s.Flag(ctx, FlagTamper); err != nil || !on {
		t.Fatalf("Flag(reopened) = %v, %v, want true", on, err)
	}
	if err := s.SetFlag(ctx, FlagTamper, false); err != nil {
		t.Fatalf("SetFlag(false) = %v", err)
	}
	if on, _ := s.Flag(ctx, FlagTamper); on {
		t.Errorf("Flag after clearing = true, want false")
	}
	m := NewMem(nil)
	m.SetFlag(ctx, FlagTamper, true)
	if on, err := m.Flag(ctx, FlagTamper); err != nil || !on {
		t.Errorf("Mem.Flag = %v, %v, want true", on, err)
	}
}

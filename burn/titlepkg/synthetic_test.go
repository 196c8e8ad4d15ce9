package titlepkg

import (
	"context"
	"testing"
)

func TestSynthetic(t *testing.T) {
	sy, err := NewSynthetic("synthetic", 3<<20+4*SectorSize, []Segment{{Start: 5, Sectors: 3}}, testKeys(t, 1), seeded(4))
	if err != nil {
		t.Fatalf("NewSynthetic() = %v", err)
	}
	p, err := OpenReader(sy, sy.Size(), testKeys(t, 1))
	if err != nil {
		t.Fatalf("OpenReader(synthetic) = %v", err)
	}
	if err := p.Verify(context.Background(), 2, nil); err != nil {
		t.Errorf("Verify(synthetic) = %v, want nil", err)
	}
	if got := p.Manifest().StreamSize(); got != 3<<20+7*SectorSize {
		t.Errorf("StreamSize() = %d, want %d", got, 3<<20+7*SectorSize)
	}
}

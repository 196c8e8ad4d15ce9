package ledgerclient

import (
	"slices"
	"testing"
)

// TestUnionSorted: the revoked set the station writes the key block for is
// the union of what the nodes sent, so a node that leaves a revoked player
// out of its answer does not let that player open the disc.
func TestUnionSorted(t *testing.T) {
	for _, tc := range []struct{ a, b, want []uint32 }{
		{nil, nil, []uint32{}},
		{[]uint32{3, 9}, []uint32{3}, []uint32{3, 9}}, // the second node omits 9
		{[]uint32{1, 5}, []uint32{2, 5, 7}, []uint32{1, 2, 5, 7}},
		{nil, []uint32{4}, []uint32{4}},
	} {
		if got := unionSorted(tc.a, tc.b); !slices.Equal(got, tc.want) {
			t.Errorf("unionSorted(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

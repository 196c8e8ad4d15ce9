package contract

import (
	"bytes"
	"testing"
)

// TestChangeSetEncoding: the stored change set a block builds in one buffer
// is the leaves each length-prefixed, in key order, and decodes to them.
func TestChangeSetEncoding(t *testing.T) {
	for _, tc := range []struct {
		name   string
		staged map[string][]byte
	}{
		{"empty", map[string][]byte{}},
		{"one", map[string][]byte{"k/a": []byte(`{"id":"a"}`)}},
		{"several", map[string][]byte{"x/t/a/j": {}, "c/j": []byte("copy"), "k/a": []byte("token"), "w/t": bytes.Repeat([]byte{7}, 300)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := changes(tc.staged)
			var want [][]byte
			for _, k := range cs.keys {
				want = append(want, leaf(k, tc.staged[k]))
			}
			for i := range want {
				if !bytes.Equal(cs.leaves[i], want[i]) {
					t.Errorf("leaf %d = %x, want %x", i, cs.leaves[i], want[i])
				}
			}
			if !bytes.Equal(cs.enc, encodeLeaves(want)) {
				t.Errorf("enc = %x, want %x", cs.enc, encodeLeaves(want))
			}
			got, err := decodeLeaves(cs.enc)
			if err != nil || len(got) != len(want) {
				t.Fatalf("decodeLeaves(enc) = %d leaves, %v, want %d", len(got), err, len(want))
			}
		})
	}
}

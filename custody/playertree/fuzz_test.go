package playertree

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func FuzzParseKeyBlock(f *testing.F) {
	nw := newNetwork(f, 2, 4)
	tr := Tree{ID: "players-1", Depth: 6}
	for _, revoked := range [][]uint32{nil, {3}, {0, 63}} {
		b, err := Build(nw.group(), tr, revoked, []byte("m"), make([]byte, 32), rand.Reader)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{KeyBlockVersion, 1, 'x', 3, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		kb, err := ParseKeyBlock(b)
		if err != nil {
			return
		}
		// A parsed block re-encodes to the same bytes.
		out := header(kb.Tree, len(kb.Entries))
		for _, e := range kb.Entries {
			out = appendEntry(out, e)
		}
		out = append(out, kb.Wrapped...)
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoded block differs from the parsed one")
		}
	})
}

func FuzzParseDeviceKeys(f *testing.F) {
	nw := newNetwork(f, 2, 4)
	k := nw.enroll(f, Tree{ID: "players-1", Depth: 3}, 5, 0, 1)
	b, err := k.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{DeviceKeysVersion, 1, 'x', 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseDeviceKeys(b)
		if err != nil {
			return
		}
		out, err := k.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("MarshalBinary(ParseDeviceKeys(b)) = %x, %v; want b", out, err)
		}
	})
}

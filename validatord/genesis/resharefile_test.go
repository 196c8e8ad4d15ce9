package genesis

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"copystation/custody"
	"copystation/validatord/contract"
)

func testReshare(t testing.TB, n int) (*ReshareSession, []*SignedDescriptor) {
	t.Helper()
	var descs []*SignedDescriptor
	for i := range n {
		descs = append(descs, testDescriptor(t, fmt.Sprintf("node%d", i)))
	}
	s, err := AssembleReshare(ReshareOptions{ChainID: "net", Epoch: 1}, descs)
	if err != nil {
		t.Fatalf("AssembleReshare() = %v", err)
	}
	return s, descs
}

func TestDecodeReshare(t *testing.T) {
	s, descs := testReshare(t, 3)
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeReshare(b)
	if err != nil {
		t.Fatalf("DecodeReshare(assembled) = %v", err)
	}
	if got.Epoch != 1 || got.Threshold != custody.DefaultThreshold(3) || !bytes.Equal(got.Nonce, s.Nonce) || len(got.NewNodes()) != 3 {
		t.Errorf("DecodeReshare(assembled) = epoch %d threshold %d nodes %d, want 1, %d, 3 and the nonce", got.Epoch, got.Threshold, len(got.NewNodes()), custody.DefaultThreshold(3))
	}
	if nn := got.NewNodes(); nn[1].Name != "node1" || !bytes.Equal(nn[1].DKGKey, descs[1].Descriptor.DKGKey) {
		t.Errorf("NewNodes()[1] = %q, want node1 with its DKG key", nn[1].Name)
	}
	if _, err := AssembleReshare(ReshareOptions{ChainID: "net", Epoch: 1}, append(descs[:2:2], descs[0])); !errors.Is(err, ErrReshareFile) {
		t.Errorf("AssembleReshare(node 0 twice) = %v, want ErrReshareFile", err)
	}
	edit := func(f func(*ReshareSession)) []byte {
		c := *s
		c.Nodes = append([]SignedDescriptor(nil), s.Nodes...)
		f(&c)
		return encode(t, &c)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"version 2", edit(func(c *ReshareSession) { c.Version = 2 }), ErrReshareFile},
		{"epoch 0", edit(func(c *ReshareSession) { c.Epoch = 0 }), ErrReshareFile},
		{"no chain", edit(func(c *ReshareSession) { c.ChainID = "" }), ErrReshareFile},
		{"short nonce", edit(func(c *ReshareSession) { c.Nonce = c.Nonce[:16] }), ErrReshareFile},
		{"threshold 4 of 3", edit(func(c *ReshareSession) { c.Threshold = 4 }), ErrReshareFile},
		{"no nodes", edit(func(c *ReshareSession) { c.Nodes = nil; c.Threshold = 1 }), ErrReshareFile},
		{"node edited", edit(func(c *ReshareSession) {
			c.Nodes[2].Descriptor.Gateway = "203.0.113.1:7700"
		}), ErrDescriptor},
		{"unknown field", []byte(strings.Replace(string(b), `"version"`, `"old_nodes": [], "version"`, 1)), ErrReshareFile},
		{"oversized", make([]byte, MaxReshareSize+1), ErrReshareFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeReshare(tc.b); !errors.Is(err, tc.want) {
				t.Errorf("DecodeReshare(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestReshareRole(t *testing.T) {
	s, descs := testReshare(t, 2)
	leaving := testDescriptor(t, "leaving")
	stranger := testDescriptor(t, "stranger")
	// old set: node0 and leaving; new set: node0 and node1 (joining)
	old := []contract.CustodyNode{{Name: "node0", DKGKey: descs[0].Descriptor.DKGKey}, {Name: "leaving", DKGKey: leaving.Descriptor.DKGKey}}
	for _, tc := range []struct {
		name     string
		chain    string
		current  uint32
		key      []byte
		old, new int
		want     error
	}{
		{"kept", "net", 0, descs[0].Descriptor.DKGKey, 0, 0, nil},
		{"joining", "net", 0, descs[1].Descriptor.DKGKey, -1, 1, nil},
		{"leaving", "net", 0, leaving.Descriptor.DKGKey, 1, -1, nil},
		{"stranger", "net", 0, stranger.Descriptor.DKGKey, -1, -1, ErrNotInReshare},
		{"other chain", "other", 0, descs[0].Descriptor.DKGKey, -1, -1, ErrWrongSession},
		{"stale session", "net", 1, descs[0].Descriptor.DKGKey, -1, -1, ErrWrongSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, n, err := s.Role(tc.chain, tc.current, old, tc.key)
			if !errors.Is(err, tc.want) || o != tc.old || n != tc.new {
				t.Errorf("Role() = %d, %d, %v, want %d, %d, %v", o, n, err, tc.old, tc.new, tc.want)
			}
		})
	}
}

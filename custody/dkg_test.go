package custody

import (
	"bytes"
	"errors"
	"testing"
)

// TestDKGAgree: four nodes, each with its own DKG key, exchanging only
// encoded bundles, agree on one group whose shares sign.
func TestDKGAgree(t *testing.T) {
	res := testNetwork(t, 4, 2)
	for i, r := range res {
		if !r.Group.Equal(res[0].Group) {
			t.Errorf("node %d's group differs from node 0's", i)
		}
		if r.Share.Node != i || len(r.Qualified) != 4 {
			t.Errorf("node %d: share index %d, qualified %v", i, r.Share.Node, r.Qualified)
		}
	}
	label := copyLabel(t, "j")
	if _, _, err := Combine(res[0].Group, label, partials(t, res, label, 1, 3)); err != nil {
		t.Errorf("Combine with DKG shares: %v", err)
	}
}

// TestDKGFaultyDealer: kyber's Pedersen DKG completes without a dealer whose
// deal is absent or corrupted: the other nodes complain, the dealer is not
// qualified, the rest agree on a group that works; the faulty dealer itself
// stops with ErrDealRejected.
func TestDKGFaultyDealer(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{"absent", func([]byte) []byte { return nil }},
		{"corrupted", func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-200] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc, keys := testCeremony(t, 4, 2)
			res, errs := runCeremony(cc, keys, nil, func(dealer int, b []byte) []byte {
				if dealer == 3 {
					return tc.tamper(b)
				}
				return b
			})
			if len(errs) != 1 || !errors.Is(errs[0], ErrDealRejected) || res[3] != nil {
				t.Fatalf("errors = %v, want node 3 alone to fail with ErrDealRejected", errs)
			}
			for i := 0; i < 3; i++ {
				if !res[i].Group.Equal(res[0].Group) {
					t.Errorf("node %d's group differs from node 0's", i)
				}
				if len(res[i].Qualified) != 3 {
					t.Errorf("node %d: qualified %v, want nodes 0..2", i, res[i].Qualified)
				}
			}
			label := copyLabel(t, "j")
			if _, _, err := Combine(res[0].Group, label, partials(t, res, label, 0, 2)); err != nil {
				t.Errorf("Combine with the qualified nodes' shares: %v", err)
			}
		})
	}
}

// TestDKGTooFewDealers: with t = 4 of 4, losing one dealer leaves 3
// qualified, below t: every node fails with ErrDKG.
func TestDKGTooFewDealers(t *testing.T) {
	cc, keys := testCeremony(t, 4, 4)
	_, errs := runCeremony(cc, keys, nil, func(dealer int, b []byte) []byte {
		if dealer == 0 {
			return nil
		}
		return b
	})
	if len(errs) != 4 {
		t.Fatalf("errors = %v, want all 4 nodes to fail", errs)
	}
	for _, err := range errs[1:] {
		if !errors.Is(err, ErrDKG) {
			t.Errorf("error = %v, want ErrDKG", err)
		}
	}
}

// TestCeremonyConfigChecks: t against n, the nonce and membership.
func TestCeremonyConfigChecks(t *testing.T) {
	cc, keys := testCeremony(t, 4, 2)
	bad := cc
	bad.Threshold = 1
	if _, err := NewCeremony(bad, keys[0]); !errors.Is(err, ErrThreshold) {
		t.Errorf("NewCeremony(t=1 of 4) = %v, want ErrThreshold", err)
	}
	bad = cc
	bad.Nonce = []byte{1}
	if _, err := NewCeremony(bad, keys[0]); !errors.Is(err, ErrDKG) {
		t.Errorf("NewCeremony(short nonce) = %v, want ErrDKG", err)
	}
	if _, err := NewCeremony(cc, NewDKGKey()); !errors.Is(err, ErrDKG) {
		t.Errorf("NewCeremony(outsider) = %v, want ErrDKG", err)
	}
	b, _ := keys[1].MarshalBinary()
	k, err := UnmarshalDKGKey(b)
	if err != nil || !bytes.Equal(k.Public(), keys[1].Public()) {
		t.Errorf("UnmarshalDKGKey(MarshalBinary()) = %v, want the same key", err)
	}
}

// TestCeremonyRejectsForeignBundle: a response signed by no one in the
// ceremony is dropped and named.
func TestCeremonyRejectsForeignBundle(t *testing.T) {
	cc, keys := testCeremony(t, 4, 2)
	cs := make([]*Ceremony, 4)
	var deals [][]byte
	for i, k := range keys {
		c, err := NewCeremony(cc, k)
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
		d, err := c.Deal()
		if err != nil {
			t.Fatal(err)
		}
		deals = append(deals, d)
	}
	if _, err := cs[0].Respond(deals); err != nil {
		t.Fatal(err)
	}
	forged := append(appendMagic(nil, responseMagic), 0, 0, 0, 1, 0, 1, 0, 0, 0, 2, 1)
	forged = appendTail(forged, cc.Nonce, make([]byte, 128))
	if _, err := cs[0].Justify([][]byte{forged}); err != nil {
		t.Fatalf("Justify: %v", err)
	}
	if len(cs[0].Rejected) != 1 || !errors.Is(cs[0].Rejected[0], ErrBadBundle) {
		t.Errorf("Rejected = %v, want one ErrBadBundle", cs[0].Rejected)
	}
}

// TestDKGFixedRand: with the same fixed stream, two ceremonies among
// different DKG keys make the same group key (so a test network's
// codewords repeat run after run); without one, two ceremonies differ.
func TestDKGFixedRand(t *testing.T) {
	run := func(seeded bool) *Group {
		cc, keys := testCeremony(t, 4, 2)
		var res []*DKGResult
		var err error
		if seeded {
			res, err = RunInProcessFrom(cc, keys, bytes.NewReader(bytes.Repeat([]byte{7}, 4096)))
		} else {
			res, err = RunInProcess(cc, keys)
		}
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Group
	}
	if a, b := run(true), run(true); !a.Key().Equal(b.Key()) {
		t.Errorf("RunInProcessFrom with one stream made two group keys, want one")
	}
	if a, b := run(false), run(false); a.Key().Equal(b.Key()) {
		t.Errorf("RunInProcess made the same group key twice")
	}
	cc, keys := testCeremony(t, 2, 1)
	if _, err := RunInProcessFrom(cc, keys, nil); !errors.Is(err, ErrFixedRand) {
		t.Errorf("RunInProcessFrom(nil stream) = %v, want %v", err, ErrFixedRand)
	}
}

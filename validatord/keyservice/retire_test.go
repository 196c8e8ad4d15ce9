package keyservice

import (
	"testing"

	"copystation/custody"
)

// TestRetiredSharesWiped: once an epoch is in force, the node's shares of
// earlier epochs are wiped from memory — one a signer still holds when it
// is done with it, the others at once — while the share in force signs on.
func TestRetiredSharesWiped(t *testing.T) {
	f := newEpochFix(t)
	clone := func(ks *custody.KeyShare) *custody.KeyShare {
		t.Helper()
		b, err := ks.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c, err := custody.UnmarshalKeyShare(b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	probe := []byte("retire probe")
	signs := func(ks *custody.KeyShare, g *custody.Group) bool {
		p, err := custody.PartialSign(ks, probe)
		return err == nil && custody.VerifyPartial(g, probe, p) == nil
	}
	partial := func(s *Service, job string) {
		t.Helper()
		if _, _, err := s.Partial(f.title, f.st, copyOf(job), info1, nil); err != nil {
			t.Fatalf("Partial(%s) = %v", job, err)
		}
	}

	ceremony := clone(f.shares[0][1]) // node 1's, the service's own copy
	s := New(Custody{ChainID: "test-chain", Share: ceremony, Group: f.groups[0], Epochs: map[uint32]*custody.KeyShare{}})
	s.Follow(f.src)
	held, err := s.ShareInForce() // a signer (an opening, a player's enrollment) holds it
	if err != nil || held.Epoch != 0 || held.Share != ceremony {
		t.Fatalf("ShareInForce() at epoch 0 = %d, %v", held.Epoch, err)
	}

	f.reshare(t, 1, []int{0, 1, 2, 3, 4})
	s.AddEpochShare(1, clone(f.shares[1][1]))
	partial(s, "j1") // epoch 1 in force: the ceremony share is over
	if !signs(ceremony, f.groups[0]) {
		t.Fatal("the ceremony share was wiped while a signer still held it")
	}
	held.Done()
	if signs(ceremony, f.groups[0]) {
		t.Error("the ceremony share still signs after epoch 1 came into force and its last user was done")
	}

	e1 := s.epochShare(1)
	f.reshare(t, 2, []int{0, 1, 2, 3})
	s.AddEpochShare(2, clone(f.shares[2][1]))
	partial(s, "j2")
	if signs(e1, f.groups[1]) {
		t.Error("epoch 1's share still signs once epoch 2 is in force")
	}
	in, err := s.ShareInForce()
	if err != nil || in.Epoch != 2 || !signs(in.Share, f.groups[2]) {
		t.Errorf("ShareInForce() at epoch 2 = %d, %v; want epoch 2's share, signing", in.Epoch, err)
	}
	if err == nil {
		in.Done()
	}
}

package keyservice

import "copystation/custody"

// Once a custody epoch is in force, the node's shares of earlier epochs
// (its ceremony share, an older epoch's) are no longer the network's: the
// contract releases nothing under them. A running node wipes them from
// memory then, rather than keeping them until it restarts: a share a
// release is signing with is wiped when that release is done with it,
// the others at once. Shares are counted in use from inForce to done, so
// no signer ever reads a share being wiped, and none waits for another.
type shareUses struct {
	n       map[*custody.KeyShare]int
	retired map[*custody.KeyShare]bool
}

// genesis is the custody at epoch 0: the ceremony share and group.
func (s *Service) genesis() *epochState {
	s.emu.Lock()
	defer s.emu.Unlock()
	return &epochState{share: s.cust.Share, group: s.cust.Group, done: s.holdLocked(s.cust.Share)}
}

// holdEpoch finds the node's share of epoch e and counts a use of it, in
// one step, so no retirement comes between; nil if the service holds none.
func (s *Service) holdEpoch(e uint32) (*custody.KeyShare, func()) {
	s.emu.Lock()
	defer s.emu.Unlock()
	sh := s.cust.Epochs[e]
	return sh, s.holdLocked(sh)
}

// holdLocked counts a use of ks (nil: none) and returns the function that
// ends it. The caller holds emu.
func (s *Service) holdLocked(ks *custody.KeyShare) func() {
	if ks == nil {
		return func() {}
	}
	if s.uses.n == nil {
		s.uses.n = map[*custody.KeyShare]int{}
	}
	s.uses.n[ks]++
	return func() {
		s.emu.Lock()
		defer s.emu.Unlock()
		if s.uses.n[ks]--; s.uses.n[ks] > 0 {
			return
		}
		delete(s.uses.n, ks)
		if s.uses.retired[ks] {
			delete(s.uses.retired, ks)
			ks.Wipe()
		}
	}
}

// retireBefore forgets the node's shares of epochs before e, now in force,
// wiping each at once or, if a release is signing with it, when it is
// done.
func (s *Service) retireBefore(e uint32) {
	s.emu.Lock()
	defer s.emu.Unlock()
	var old []*custody.KeyShare
	if s.cust.Share != nil {
		old, s.cust.Share = append(old, s.cust.Share), nil
	}
	for ep, sh := range s.cust.Epochs {
		if ep < e {
			old = append(old, sh)
			delete(s.cust.Epochs, ep)
		}
	}
	for _, sh := range old {
		if s.uses.n[sh] > 0 {
			if s.uses.retired == nil {
				s.uses.retired = map[*custody.KeyShare]bool{}
			}
			s.uses.retired[sh] = true
			continue
		}
		sh.Wipe()
	}
}

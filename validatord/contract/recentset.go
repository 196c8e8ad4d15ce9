package contract

// recentSet holds the latest n 32-byte names added, the oldest dropped
// first. Its map holds no pointers, so the garbage collector never scans
// it. It is not safe for concurrent use.
type recentSet struct {
	set  map[[32]byte]struct{}
	ring [][32]byte
	next int
}

func newRecentSet(n int) recentSet {
	return recentSet{set: make(map[[32]byte]struct{}, n), ring: make([][32]byte, n)}
}

func (s *recentSet) has(k [32]byte) bool {
	_, ok := s.set[k]
	return ok
}

// add puts k in the set, dropping the oldest name if the set is full; a
// name already there stays where it is.
func (s *recentSet) add(k [32]byte) {
	if s.has(k) {
		return
	}
	if old := s.ring[s.next]; old != ([32]byte{}) {
		delete(s.set, old)
	}
	s.ring[s.next] = k
	s.next = (s.next + 1) % len(s.ring)
	s.set[k] = struct{}{}
}

// ago is the name added m adds before the next one (m at most the set's
// size), or zero if there is none.
func (s *recentSet) ago(m int) [32]byte {
	return s.ring[(s.next-m+len(s.ring))%len(s.ring)]
}

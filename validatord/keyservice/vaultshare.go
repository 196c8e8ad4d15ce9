package keyservice

import (
	"errors"
	"fmt"
	"sync"

	"copystation/custody"
)

// ErrForeignEpochShare: the node's vault holds a share for the custody
// epoch in force, but it is not a share of that epoch's group: it was
// sealed by another session for the same epoch number (one that did not
// commit). The node releases nothing until it holds the committed
// session's share.
var ErrForeignEpochShare = errors.New("keyservice: the vault's share of the custody epoch in force does not belong to the epoch's committed group; it comes from a resharing session that did not commit, so this node cannot sign in the epoch until the operators reshare again")

// ShareVault is where a running node's reshared shares are sealed (its
// vault, chain.Node). A resharing seals a node's share of epoch e there
// before e's record commits, while the node runs; the service reads it
// from there once it finds e in force with no share in memory, so the
// node signs in e without a restart.
type ShareVault interface {
	// Stamp names the vault's contents without opening it; it changes
	// whenever the vault is rewritten.
	Stamp() (string, error)
	// EpochShares opens the vault and returns its shares of epoch e
	// (none if it holds none); the caller owns and wipes them.
	EpochShares(e uint32) ([]*custody.KeyShare, error)
}

// vaultReader bounds how often the service opens the vault: once per
// epoch, and again only after the vault has been rewritten, so a node
// not in the epoch answers ErrNotInEpoch from memory on every request.
type vaultReader struct {
	mu      sync.Mutex
	v       ShareVault
	tried   bool
	epoch   uint32
	stamp   string
	verdict error // the last read's outcome for (epoch, stamp)
}

// ReadSharesFrom lets the service take its share of the epoch in force
// from the node's vault when it has none in memory (ShareVault).
func (s *Service) ReadSharesFrom(v ShareVault) {
	s.vault.mu.Lock()
	defer s.vault.mu.Unlock()
	s.vault.v = v
}

// fromVault returns the node's share of epoch e, reading the vault if the
// bound allows (vaultReader); nil and ErrNotInEpoch when it has none.
func (s *Service) fromVault(op string, e uint32, g *custody.Group) (*custody.KeyShare, error) {
	notIn := fmt.Errorf("%s: epoch %d: %w", op, e, ErrNotInEpoch)
	r := &s.vault
	r.mu.Lock()
	defer r.mu.Unlock()
	if sh := s.epochShare(e); sh != nil { // another request read it meanwhile
		return sh, nil
	}
	if r.v == nil {
		return nil, notIn
	}
	stamp, err := r.v.Stamp()
	if err != nil {
		return nil, fmt.Errorf("%w: reading the node's vault: %w", notIn, err)
	}
	if r.tried && r.epoch == e && r.stamp == stamp {
		return nil, r.verdict
	}
	cands, err := r.v.EpochShares(e)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the node's vault: %w", notIn, err)
	}
	var found *custody.KeyShare
	for _, c := range cands {
		if found == nil && shareOf(c, g) {
			found = c
			continue
		}
		c.Wipe()
	}
	r.tried, r.epoch, r.stamp, r.verdict = true, e, stamp, notIn
	if found == nil && len(cands) > 0 {
		r.verdict = fmt.Errorf("%w: %w", notIn, ErrForeignEpochShare)
	}
	if found == nil {
		return nil, r.verdict
	}
	s.AddEpochShare(e, found)
	return found, nil
}

func (s *Service) epochShare(e uint32) *custody.KeyShare {
	s.emu.Lock()
	defer s.emu.Unlock()
	return s.cust.Epochs[e]
}

// shareOf says whether ks is a share of g: one partial on a fixed label
// checked against g's public share at ks's index (as a node checks its
// ceremony share at start).
func shareOf(ks *custody.KeyShare, g *custody.Group) bool {
	probe := []byte("copystation custody share probe")
	p, err := custody.PartialSign(ks, probe)
	return err == nil && custody.VerifyPartial(g, probe, p) == nil
}

package keyservice

import (
	"errors"
	"fmt"
	"sync"

	"copystation/custody"
	"copystation/validatord/contract"
)

// ErrNotInEpoch: a custody epoch is in force (docs/key-custody.md, "The
// epoch record") and this node holds no share of it: it is not in that
// epoch's custody set, or it is and its reshared share is not in its
// vault. It releases nothing: its older shares are not the network's any
// more.
var ErrNotInEpoch = errors.New("keyservice: this node holds no share of the custody epoch in force: it is not in the epoch's custody set, or its reshared share is not in its vault (validatord reshare)")

// EpochSource is the committed ledger's custody epoch (contract.App):
// ErrNotFound at epoch 0.
type EpochSource interface {
	CustodyEpoch() (*contract.CustodyEpoch, error)
}

// epochState is the custody a release uses: at epoch 0 the genesis group
// and the node's ceremony share; after a resharing the epoch's group,
// set and record, and the node's share of that epoch.
type epochState struct {
	epoch uint32
	share *custody.KeyShare
	group *custody.Group
	cust  *contract.Custody    // nil at epoch 0: the caller's genesis custody
	rec   *custody.EpochRecord // nil at epoch 0
	done  func()               // the caller is done with share (retire.go)
}

// epochCache keeps the last epoch's decoded group and record: decoding a
// group costs a point decompression per coefficient.
type epochCache struct {
	mu  sync.Mutex
	at  uint32
	grp *custody.Group
	rec *custody.EpochRecord
}

// Follow makes the service release under the custody epoch in force on
// src from the height its record commits. Without it, or at epoch 0, the
// service uses the genesis group and the ceremony share only.
func (s *Service) Follow(src EpochSource) { s.epochs = src }

// inForce returns the custody in force for a release now. The caller
// calls done once it no longer uses the share: a share of an epoch that
// is over is wiped then (retire.go).
func (s *Service) inForce(op string) (*epochState, error) {
	if s.epochs == nil {
		return s.genesis(), nil
	}
	ce, err := s.epochs.CustodyEpoch()
	if errors.Is(err, contract.ErrNotFound) {
		return s.genesis(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: custody epoch: %w", op, err)
	}
	g, rec, err := s.cache.decode(ce)
	if err != nil {
		return nil, fmt.Errorf("%s: custody epoch %d: %w", op, ce.Epoch, err)
	}
	sh, done := s.holdEpoch(ce.Epoch)
	if sh == nil {
		// a resharing sealed it into the vault while the node ran
		if _, err = s.fromVault(op, ce.Epoch, g); err != nil {
			return nil, err
		}
		if sh, done = s.holdEpoch(ce.Epoch); sh == nil { // a later epoch retired it meanwhile
			return nil, fmt.Errorf("%s: epoch %d: %w", op, ce.Epoch, ErrNotInEpoch)
		}
	}
	s.retireBefore(ce.Epoch)
	return &epochState{epoch: ce.Epoch, share: sh, group: g, cust: &ce.Custody, rec: rec, done: done}, nil
}

func (c *epochCache) decode(ce *contract.CustodyEpoch) (*custody.Group, *custody.EpochRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grp != nil && c.at == ce.Epoch {
		return c.grp, c.rec, nil
	}
	rec, err := custody.UnmarshalEpochRecord(ce.Record)
	if err != nil {
		return nil, nil, err
	}
	c.at, c.grp, c.rec = ce.Epoch, rec.Group, rec
	return c.grp, c.rec, nil
}

// titleAt returns the title as the epoch in force holds it: a title dealt
// before the epoch takes the record's new roots (its blobs then come from
// EpochTitleShares), one dealt at or after it keeps its registration's.
func (e *epochState) titleAt(t *contract.Title) (*contract.Title, bool, error) {
	if e.rec == nil || t.Epoch >= e.epoch {
		return t, false, nil
	}
	roots, ok := e.rec.Roots(t.ID)
	if !ok {
		return nil, false, fmt.Errorf("title %s is not in custody epoch %d's record: %w", t.ID, e.epoch, ErrNotDealt)
	}
	nt := *t
	nt.ShareRoots = make([][]byte, len(roots))
	for j := range roots {
		nt.ShareRoots[j] = roots[j][:]
	}
	return &nt, true, nil
}

// AddEpochShare gives the service its share of epoch e, used once e's
// record commits (a running node reads it from its vault itself:
// ReadSharesFrom).
func (s *Service) AddEpochShare(e uint32, ks *custody.KeyShare) {
	s.emu.Lock()
	defer s.emu.Unlock()
	if s.cust.Epochs == nil {
		s.cust.Epochs = map[uint32]*custody.KeyShare{}
	}
	s.cust.Epochs[e] = ks
}

// InForce is the node's custody share of the epoch in force and the group
// its partials verify against. The caller calls Done once it no longer
// uses Share.
type InForce struct {
	Epoch uint32
	Share *custody.KeyShare
	Group *custody.Group
	Done  func()
}

// ShareInForce is the one way a node-side signer outside the release
// rounds (device keys for a player, answers to a tracing opening) gets the
// share to sign with: the one the release rounds use (Follow). The share
// stays the service's: the caller calls Done when it is finished with it
// and never wipes it (Close or the share's retirement does).
func (s *Service) ShareInForce() (InForce, error) {
	const op = "keyservice.ShareInForce"
	ef, err := s.inForce(op)
	if err != nil {
		return InForce{}, err
	}
	if ef.share == nil || ef.group == nil {
		ef.done()
		return InForce{}, fmt.Errorf("%s: %w", op, ErrNoCustody)
	}
	return InForce{Epoch: ef.epoch, Share: ef.share, Group: ef.group, Done: ef.done}, nil
}

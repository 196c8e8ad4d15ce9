package ledgerclient

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/protocol"
)

// ErrBadEpoch: a node sent a custody epoch record that does not verify
// under the group key pinned at enrollment (or is for another network, or
// not newer): the node is faulty or hostile; its answer is refused and
// another node asked. The station keeps the group and roots it holds.
var ErrBadEpoch = errors.New("a validation node sent a custody epoch record that is not signed by the network's group key pinned at enrollment")

// epochState is the custody epoch the station has accepted: at 0 the
// pinned genesis group and the manifests' roots.
type epochState struct {
	mu    sync.Mutex
	epoch uint32
	raw   []byte // the accepted record, to skip checking it again
	group *custody.Group
	rec   *custody.EpochRecord
}

// acceptEpoch takes a node's Epoch message (docs/protocol.md, "Custody
// epochs"): the record held again is nothing new; an older one is
// ignored (that node lags); a newer one is taken only through
// custody.AcceptEpoch against the pinned X.
func (c *Client) acceptEpoch(chainID string, m *protocol.EpochMsg) error {
	e := &c.epoch
	e.mu.Lock()
	defer e.mu.Unlock()
	if bytes.Equal(m.Record, e.raw) {
		return nil
	}
	var sig custody.Signature
	if len(m.Sig) != len(sig) {
		return fmt.Errorf("%w: signature of %d bytes", ErrBadEpoch, len(m.Sig))
	}
	copy(sig[:], m.Sig)
	if e.rec != nil {
		if old, err := custody.UnmarshalEpochRecord(m.Record); err == nil && old.Epoch < e.epoch {
			return nil // a lagging node's epoch; its partial will not verify and is skipped
		}
	}
	rec, err := custody.AcceptEpoch(c.group, chainID, e.epoch, m.Record, sig)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadEpoch, err)
	}
	e.epoch, e.raw, e.group, e.rec = rec.Epoch, bytes.Clone(m.Record), rec.Group, rec
	c.logf("station: custody epoch %d accepted (group of %d nodes, threshold %d)", rec.Epoch, rec.Group.N(), rec.Group.T())
	return nil
}

// curGroup is the group partials are checked against: the accepted
// epoch's, or the pinned one.
func (c *Client) curGroup() *custody.Group {
	c.epoch.mu.Lock()
	defer c.epoch.mu.Unlock()
	if c.epoch.group != nil {
		return c.epoch.group
	}
	return c.group
}

// manifestAt is the manifest with the accepted epoch's roots for its
// title, when the epoch's record names it (a title it does not name was
// dealt at or after that epoch, and its manifest's roots hold).
func (c *Client) manifestAt(m *titlepkg.Manifest) *titlepkg.Manifest {
	c.epoch.mu.Lock()
	defer c.epoch.mu.Unlock()
	if c.epoch.rec == nil {
		return m
	}
	roots, ok := c.epoch.rec.Roots(m.TitleID)
	if !ok {
		return m
	}
	nm := *m
	nm.ShareRoots = roots
	return &nm
}

// Epoch is the custody epoch the station holds now (0: the genesis group
// pinned at enrollment).
func (c *Client) Epoch() uint32 {
	c.epoch.mu.Lock()
	defer c.epoch.mu.Unlock()
	return c.epoch.epoch
}

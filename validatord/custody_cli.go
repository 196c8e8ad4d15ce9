package validatord

import (
	"fmt"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

// keysInForce is the key service of the node at --home, following the
// custody epoch committed on b: it signs with the node's share in force
// (keyservice.Service.ShareInForce), the reshared one after a resharing.
func (e *env) keysInForce(b *ledger.Remote, kek []byte) (*keyservice.Service, error) {
	ks, err := chain.OpenKeys(e.home, kek)
	if err != nil {
		return nil, err
	}
	ks.Follow(b.Epochs(e.ctx))
	return ks, nil
}

// custodyGroup is the network's custody group in force as the node at b
// has it: the genesis group, or the group of the custody epoch in force,
// accepted against the genesis group key (ledger.Remote.CustodyGroup).
func (e *env) custodyGroup(b *ledger.Remote) (*custody.Group, error) {
	g, _, err := b.CustodyGroup(e.ctx)
	if err != nil {
		return nil, fmt.Errorf("the network's custody group: %w", err)
	}
	return g, nil
}

package chain

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cometbft/cometbft/types"

	"copystation/custody"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/vault"
)

// ErrCustody is a node whose custody share and genesis group disagree.
var ErrCustody = errors.New("the node's custody share does not belong to the genesis group; the home was assembled from another ceremony")

// loadCustody reads the custody group from the node's genesis and decodes
// its share from the vault. A home made before the ceremony has neither:
// the node then runs, but refuses every release (keyservice.ErrNoCustody).
func loadCustody(home string, nc *NodeConfig, share []byte) (keyservice.Custody, error) {
	doc, err := types.GenesisDocFromFile(filepath.Join(home, FileGenesis))
	if err != nil {
		return keyservice.Custody{}, fmt.Errorf("genesis: %w", err)
	}
	c := keyservice.Custody{ChainID: doc.ChainID}
	var g contract.Genesis
	if err := json.Unmarshal(doc.AppState, &g); err != nil {
		return c, fmt.Errorf("genesis app state: %w", err)
	}
	if g.Custody == nil || len(share) == 0 {
		return c, nil
	}
	if c.Group, err = custody.UnmarshalGroup(g.Custody.Group); err != nil {
		return c, fmt.Errorf("genesis custody group: %w", err)
	}
	if c.Share, err = custody.UnmarshalKeyShare(share); err != nil {
		return c, fmt.Errorf("custody share: %w", err)
	}
	// one partial on a fixed label, checked against the group's public
	// share for this node: a share from another ceremony fails here, at
	// start, rather than in every copy
	probe := []byte("copystation custody share probe")
	p, err := custody.PartialSign(c.Share, probe)
	if err == nil {
		err = custody.VerifyPartial(c.Group, probe, p)
	}
	if err != nil {
		c.Share.Wipe()
		return keyservice.Custody{}, fmt.Errorf("node %s: %w (%v)", nc.Moniker, ErrCustody, err)
	}
	return c, nil
}

// loadEpochShares decodes the node's reshared shares from its vault, by
// epoch; the key service uses one only once its epoch's record commits.
func loadEpochShares(c *keyservice.Custody, shares []vault.EpochShare) error {
	for _, es := range shares {
		ks, err := custody.UnmarshalKeyShare(es.Share)
		if err != nil {
			return fmt.Errorf("custody share of epoch %d: %w", es.Epoch, err)
		}
		if c.Epochs == nil {
			c.Epochs = map[uint32]*custody.KeyShare{}
		}
		c.Epochs[es.Epoch] = ks
	}
	return nil
}

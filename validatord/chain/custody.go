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
func loadCustody(doc *types.GenesisDoc, nc *NodeConfig, share []byte) (keyservice.Custody, error) {
	c := keyservice.Custody{ChainID: doc.ChainID}
	var g contract.Genesis
	err := json.Unmarshal(doc.AppState, &g)
	if err != nil {
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

// custodyOf is the node's custody from its genesis and vault: the ceremony
// share (if not yet wiped) and every reshared share it holds.
func custodyOf(doc *types.GenesisDoc, nc *NodeConfig, sec *vault.Secrets) (keyservice.Custody, error) {
	cust, err := loadCustody(doc, nc, sec.CustodyShare)
	if err != nil {
		return cust, err
	}
	if err := loadEpochShares(&cust, sec.EpochShares); err != nil {
		cust.Share.Wipe()
		return keyservice.Custody{}, err
	}
	return cust, nil
}

// OpenKeys makes the key service of the node at home from its genesis and
// vault, for the operator commands that sign with the node's custody share
// outside the running node (player extract, trace answer). The caller
// makes it Follow the ledger's custody epoch, so it signs with the share
// in force (keyservice.Service.ShareInForce), and Closes it.
func OpenKeys(home string, kek []byte) (*keyservice.Service, error) {
	nc, err := LoadNodeConfig(home)
	if err != nil {
		return nil, fmt.Errorf("chain.OpenKeys: %w", err)
	}
	sec, err := vault.Load(filepath.Join(home, FileVault), kek)
	if err != nil {
		return nil, fmt.Errorf("chain.OpenKeys: %w", err)
	}
	defer sec.Wipe()
	doc, err := types.GenesisDocFromFile(filepath.Join(home, FileGenesis))
	if err != nil {
		return nil, fmt.Errorf("chain.OpenKeys: genesis: %w", err)
	}
	cust, err := custodyOf(doc, nc, sec)
	if err != nil {
		return nil, fmt.Errorf("chain.OpenKeys: %w", err)
	}
	return keyservice.New(cust), nil
}

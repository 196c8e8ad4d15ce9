package ledger

import (
	"context"
	"crypto/ecdh"
	"fmt"

	"copystation/custody"
	"copystation/validatord/contract"
)

// CustodyDeal is what an issuer needs from the network to deal a title's
// shares: the chain ID, the threshold and the custody nodes' public keys in
// genesis order (all public, from genesis).
type CustodyDeal struct {
	ChainID   string
	Threshold int
	Keys      []*ecdh.PublicKey
}

// NewCustodyDeal parses the network's genesis custody for dealing.
func NewCustodyDeal(chainID string, c *contract.Custody) (*CustodyDeal, error) {
	d := &CustodyDeal{ChainID: chainID, Threshold: c.Threshold}
	for i, n := range c.Nodes {
		k, err := ecdh.X25519().NewPublicKey(n.CustodyKey)
		if err != nil {
			return nil, fmt.Errorf("ledger.NewCustodyDeal: node %d (%s) custody key: %w", i, n.Name, err)
		}
		d.Keys = append(d.Keys, k)
	}
	if err := custody.CheckThreshold(len(d.Keys), d.Threshold); err != nil {
		return nil, fmt.Errorf("ledger.NewCustodyDeal: %w", err)
	}
	return d, nil
}

// Deal makes a title's 1+2S keys and deals them to the custody nodes
// (custody.Deal). The caller packages the title under d.Keys.PackageKeys(),
// registers with RegisterDealtTitle and wipes d.Keys.
func (cd *CustodyDeal) Deal(titleID string, segments int) (*custody.Dealt, error) {
	d, err := custody.Deal(custody.Title{ChainID: cd.ChainID, TitleID: titleID, Segments: segments}, cd.Threshold, cd.Keys)
	if err != nil {
		return nil, fmt.Errorf("ledger.Deal: %w", err)
	}
	return d, nil
}

// CustodyDeal reads the network's custody nodes from the ledger.
func (a *Admin) CustodyDeal(ctx context.Context) (*CustodyDeal, error) {
	var c contract.Custody
	if err := a.b.Query(ctx, "/custody", &c); err != nil {
		return nil, fmt.Errorf("ledger.CustodyDeal: %w", err)
	}
	chainID, err := a.b.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger.CustodyDeal: %w", err)
	}
	return NewCustodyDeal(chainID, &c)
}

// RegisterDealtTitle registers a title (issuer) with its dealt shares: the
// roots in the title record, node i's sealed shares beside it. t.Segments
// must be the segments the shares were dealt for.
func (a *Admin) RegisterDealtTitle(ctx context.Context, t contract.Title, d *custody.Dealt) error {
	t.SealedPackageKey = nil
	t.ShareRoots = make([][]byte, len(d.Roots))
	for i := range d.Roots {
		t.ShareRoots[i] = d.Roots[i][:]
	}
	_, err := a.Do(ctx, "ledger.RegisterDealtTitle", contract.TxRegisterTitle, contract.RegisterTitleBody{Title: t, Shares: d.Blobs})
	return err
}

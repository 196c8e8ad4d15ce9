package ledger

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"

	"copystation/burn/titlepkg"
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

// CustodyDeal reads the network's custody nodes in force from the
// ledger: the last custody epoch's, or the genesis ones.
func (a *Admin) CustodyDeal(ctx context.Context) (*CustodyDeal, error) {
	var c contract.Custody
	var ce contract.CustodyEpoch
	if err := a.b.Query(ctx, "/custody-epoch", &ce); err == nil {
		c = ce.Custody
	} else if !errors.Is(err, contract.ErrNotFound) {
		return nil, fmt.Errorf("ledger.CustodyDeal: %w", err)
	} else if err := a.b.Query(ctx, "/custody", &c); err != nil {
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
	t.ShareRoots = make([][]byte, len(d.Roots))
	for i := range d.Roots {
		t.ShareRoots[i] = d.Roots[i][:]
	}
	_, err := a.Do(ctx, "ledger.RegisterDealtTitle", contract.TxRegisterTitle, contract.RegisterTitleBody{Title: t, Shares: d.Blobs})
	return err
}

// PackageTitle is an issuer's whole registration of a title on one machine,
// the way `validatord title package` and `title register` do it on two: it
// deals the title's keys to the network's custody nodes (read from the
// ledger), packages spec's image into dir under them with the deal's roots
// in the manifest, wipes the keys, and registers t with the deal. t's
// content hash and segments are taken from the package; spec's title ID,
// keys and roots are set here.
func (a *Admin) PackageTitle(ctx context.Context, dir string, t contract.Title, spec titlepkg.Spec) (*titlepkg.Manifest, error) {
	cd, err := a.CustodyDeal(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger.PackageTitle: title %s: %w", t.ID, err)
	}
	d, err := cd.Deal(t.ID, len(spec.Variants))
	if err != nil {
		return nil, fmt.Errorf("ledger.PackageTitle: title %s: %w", t.ID, err)
	}
	// No one holds the keys whole after this, the issuer included.
	defer d.Keys.Wipe()
	spec.TitleID, spec.Keys, spec.ShareRoots = t.ID, d.Keys.PackageKeys(), d.Roots
	defer spec.Keys.Wipe()
	m, err := titlepkg.Create(dir, spec)
	if err != nil {
		return nil, fmt.Errorf("ledger.PackageTitle: %w", err)
	}
	t.ContentHash, t.Segments = m.Root[:], nil
	for _, s := range m.Segments {
		t.Segments = append(t.Segments, contract.Segment{StartSector: uint32(s.Start), Sectors: s.Sectors})
	}
	if err := a.RegisterDealtTitle(ctx, t, d); err != nil {
		return nil, err
	}
	return m, nil
}

package keyservice

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"fmt"

	"copystation/custody"
	"copystation/keys"
	"copystation/validatord/contract"
)

// Errors of a node's title custody.
var (
	// ErrNotCustodian: this node's custody key is not among the genesis
	// custody nodes, so no title share is dealt to it.
	ErrNotCustodian = errors.New("keyservice: this node is not a custody node of the network's genesis")
	// ErrNotDealt: the title has no dealt shares (a record from before
	// every title was dealt), so this node has no share of it to release;
	// no node has any other way to its keys.
	ErrNotDealt = errors.New("keyservice: the title has no dealt shares, so no node holds anything of its keys to release; its issuer registers it dealt to the custody nodes")
)

// Custodian is a node's side of issuer-dealt title shares: its own custody
// key (X25519, from its vault), which opens only its own share vector of
// each title. It holds no title key and can compute none alone.
type Custodian struct {
	key *ecdh.PrivateKey
}

var _ contract.DealChecker = (*Custodian)(nil)

// NewCustodian takes the node's 32-byte X25519 custody key from its vault.
func NewCustodian(custodyKey []byte) (*Custodian, error) {
	k, err := ecdh.X25519().NewPrivateKey(custodyKey)
	if err != nil {
		return nil, fmt.Errorf("keyservice.NewCustodian: custody key: %w", err)
	}
	return &Custodian{key: k}, nil
}

// Index is this node's 0-based custody index in genesis order, which is its
// Shamir index.
func (c *Custodian) Index(cust *contract.Custody) (int, error) {
	pub := c.key.PublicKey().Bytes()
	for i, n := range cust.Nodes {
		if bytes.Equal(n.CustodyKey, pub) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("keyservice.Custodian: %w", ErrNotCustodian)
}

// CheckDeal implements contract.DealChecker: the node opens its own blob of
// a registration and checks every share against its root. An error wraps
// custody.ErrBadDeal and names the issuer.
func (c *Custodian) CheckDeal(chainID string, cust *contract.Custody, t *contract.Title, shares [][]byte) error {
	ts, err := c.open(chainID, cust, t, shares)
	if err != nil {
		return err
	}
	ts.Wipe()
	return nil
}

// OpenTitle opens this node's shares of a dealt, committed title: blob is
// its sealed share vector from the ledger (contract.App.TitleShares). The
// caller wipes the shares.
func (c *Custodian) OpenTitle(chainID string, cust *contract.Custody, t *contract.Title, blob []byte) (*custody.TitleShares, error) {
	i, err := c.Index(cust)
	if err != nil {
		return nil, err
	}
	shares := make([][]byte, i+1)
	shares[i] = blob
	return c.open(chainID, cust, t, shares)
}

func (c *Custodian) open(chainID string, cust *contract.Custody, t *contract.Title, shares [][]byte) (*custody.TitleShares, error) {
	if len(t.ShareRoots) == 0 {
		return nil, fmt.Errorf("keyservice.Custodian: title %s: %w", t.ID, ErrNotDealt)
	}
	i, err := c.Index(cust)
	if err != nil {
		return nil, err
	}
	if i >= len(shares) || i >= len(t.ShareRoots) || len(t.ShareRoots[i]) != 32 {
		return nil, fmt.Errorf("keyservice.Custodian: title %s: the issuer %s dealt badly to node %d (%s): %w: no sealed share or no 32-byte root for it", t.ID, t.Issuer, i, cust.Nodes[i].Name, custody.ErrBadDeal)
	}
	ts, err := custody.OpenShares(c.key, TitleOf(chainID, t), i, shares[i], [32]byte(t.ShareRoots[i]))
	if err != nil {
		return nil, fmt.Errorf("keyservice.Custodian: title %s: the issuer %s dealt badly to node %d (%s): %w", t.ID, t.Issuer, i, cust.Nodes[i].Name, err)
	}
	return ts, nil
}

// TitleOf names a registered title for custody: its chain, ID and segment
// count, which bind its sealed shares and leaves.
func TitleOf(chainID string, t *contract.Title) custody.Title {
	return custody.Title{ChainID: chainID, TitleID: t.ID, Segments: len(t.Segments)}
}

// ReleaseShares is the node's whole answer to a station's round 2 for a
// committed copy of a dealt title: it opens its own shares (checking them
// against its root again), checks sigma against the group key and label,
// the copy label the node built from its own committed ledger (so the
// station cannot choose the codeword), selects the base share and one
// variant share per segment (custody.TitleShares.ReleaseFor) and seals them
// to the station's key-agreement key under info. The shares are wiped
// before it returns.
func (c *Custodian) ReleaseShares(chainID string, cust *contract.Custody, t *contract.Title, blob []byte,
	label []byte, sigma custody.Signature, station *ecdh.PublicKey, info keys.Info) ([]byte, error) {
	g, err := custody.UnmarshalGroup(cust.Group)
	if err != nil {
		return nil, fmt.Errorf("keyservice.ReleaseShares: genesis group: %w", err)
	}
	return c.releaseShares(chainID, cust, g, t, blob, label, sigma, station, info, NoFault, nil)
}

func (c *Custodian) releaseShares(chainID string, cust *contract.Custody, g *custody.Group, t *contract.Title, blob []byte,
	label []byte, sigma custody.Signature, station *ecdh.PublicKey, info keys.Info, fault Fault,
	derive func(custody.Signature, int) (custody.Codeword, error)) ([]byte, error) {
	ts, err := c.OpenTitle(chainID, cust, t, blob)
	if err != nil {
		return nil, fmt.Errorf("keyservice.ReleaseShares: %w", err)
	}
	defer ts.Wipe()
	rel, err := ts.ReleaseFor(t.ID, g, label, sigma, derive)
	if err != nil {
		return nil, fmt.Errorf("keyservice.ReleaseShares: title %s: %w", t.ID, err)
	}
	defer rel.Wipe()
	if fault == FaultWrongShare {
		rel.Base[31] ^= 1 // below the group order but for one value in 2^255
	}
	body, err := rel.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("keyservice.ReleaseShares: %w", err)
	}
	defer keys.Zero(body)
	sealed, err := keys.SealRelease(station, info, body)
	if err != nil {
		return nil, fmt.Errorf("keyservice.ReleaseShares: %w", err)
	}
	return sealed, nil
}

// ShareSource is the node's committed ledger as the share release reads
// it: the genesis custody and the node's sealed shares of a title
// (contract.App).
type ShareSource interface {
	Custody() (*contract.Custody, error)
	TitleShares(titleID string, node int) ([]byte, error)
	// EpochTitleShares is new node j's resealed blob of a title for a
	// custody epoch (contract.App).
	EpochTitleShares(titleID string, epoch uint32, node int) ([]byte, error)
}

// ReleaseShares is round 2 of a release (every title is dealt by its
// issuer): for a committed, pending attempt and
// the copy's group signature (checked by CheckSigma), it seals to the
// station this node's custody.Release for the copy's codeword: its share of
// the base key and of the one variant key per segment the codeword names,
// with the sibling leaf hashes. No key leaves the node, and the node holds
// none: the station combines t releases (ledgerclient.CombineReleases).
//
// For a title registered with tracing parameters the codeword is the
// copy's Tardos codeword under the title's biases, which come from σ_title:
// combined from this node's own partial and titlePartials (those the
// station relays from round 1, sealed to this node), then kept in memory
// (tracing.go). Too few valid ones is ErrTitlePartials.
func (s *Service) ReleaseShares(cu *Custodian, src ShareSource, t *contract.Title, st *contract.Station, c *contract.Copy, info keys.Info,
	sigma custody.Signature, titlePartials []TitlePartial) ([]byte, keys.FormatMetadata, error) {
	const op = "keyservice.ReleaseShares"
	if cu == nil {
		return nil, keys.FormatMetadata{}, fmt.Errorf("%s: %w", op, ErrNotCustodian)
	}
	_, format, err := pending(t, c, info.MediaID, op)
	if err != nil {
		return nil, format, err
	}
	label, err := s.Label(c)
	if err != nil {
		return nil, format, err
	}
	ef, err := s.inForce(op)
	if err != nil {
		return nil, format, err
	}
	defer ef.done()
	cust := ef.cust
	if cust == nil {
		if cust, err = src.Custody(); err != nil {
			return nil, format, fmt.Errorf("%s: genesis custody: %w", op, err)
		}
	}
	i, err := cu.Index(cust)
	if err != nil && ef.epoch > 0 {
		return nil, format, fmt.Errorf("%s: epoch %d: %w", op, ef.epoch, ErrNotInEpoch)
	}
	if err != nil {
		return nil, format, err
	}
	t, reshared, err := ef.titleAt(t)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	var blob []byte
	if reshared {
		blob, err = src.EpochTitleShares(t.ID, ef.epoch, i)
	} else {
		blob, err = src.TitleShares(t.ID, i)
	}
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	pub, err := stationKey(st, op)
	if err != nil {
		return nil, format, err
	}
	g := ef.group
	if g == nil {
		if g, err = custody.UnmarshalGroup(cust.Group); err != nil {
			return nil, format, fmt.Errorf("%s: genesis group: %w", op, err)
		}
	}
	// sigma was checked by CheckSigma (ledger.Local.ReleaseKeys) and is
	// again by ReleaseFor, before any share is selected
	derive, err := s.tardosDerive(cu, cust, g, t, titlePartials)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	sealed, err := cu.releaseShares(s.cust.ChainID, cust, g, t, blob, label, sigma, pub, info, s.cust.Fault, derive)
	if err != nil {
		return nil, format, err
	}
	return sealed, format, nil
}

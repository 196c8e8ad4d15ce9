package keyservice

import (
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/hpke"
	"errors"
	"fmt"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/validatord/contract"
)

// Errors of the key service.
var (
	ErrPackageKey = errors.New("keyservice: the title's sealed package key does not open on this node")
	ErrNotPending = errors.New("keyservice: the copy has no pending attempt on this disc")
	ErrNoFormat   = errors.New("keyservice: the title has no format metadata for the copy's disc profile")
	ErrNoCustody  = errors.New("keyservice: this node holds no custody share or group; its home predates the genesis ceremony, so make the node again with validatord init")
	// ErrBadSigma: the station's group signature is not the network's
	// signature on this node's own label for the copy, so no codeword
	// follows from it and nothing is released.
	ErrBadSigma = errors.New("keyservice: the group signature does not verify against the group key and this node's label for the copy")
)

// Purposes of the derived secrets, beyond keys.PurposeDiscKey.
const (
	depositInfoLabel = "copystation package-key deposit v1"
)

// Fault is a test-only misbehaviour of a node's key service, so tests can
// run a real node that answers wrongly. Production never sets it.
type Fault int

// Faults.
const (
	NoFault Fault = iota
	// FaultWrongPartial makes the node sign another label than the copy's
	// with its share: a well-formed partial that does not verify.
	FaultWrongPartial
	// FaultWrongShare makes the node release, for a dealt title, a share
	// of the base key that is not its committed one: a well-formed release
	// that does not match its root.
	FaultWrongShare
)

// Custody is a node's part of the threshold group: its share of the group
// secret from its vault, and the group (public) from genesis.
type Custody struct {
	ChainID string
	Share   *custody.KeyShare
	Group   *custody.Group
	Fault   Fault
}

// Service holds a node's secrets in memory: its custody share and, for
// titles registered by the deposit (being removed), the deposit key.
type Service struct {
	deposit *ecdh.PrivateKey
	cust    Custody
}

// New makes a key service from the deposit key and the node's custody
// share. No secret is shared by every node any more: a copy's codeword and
// disc key come from its group signature, and the station writes the disc
// key block.
func New(deposit *ecdh.PrivateKey, c Custody) *Service {
	return &Service{deposit: deposit, cust: c}
}

// Close wipes the custody share from memory.
func (s *Service) Close() { s.cust.Share.Wipe() }

// DepositPublicKey is the key issuers seal package keys to.
func (s *Service) DepositPublicKey() *ecdh.PublicKey { return s.deposit.PublicKey() }

// Label is the copy label the nodes sign (custody.CopyRecord.Label), built
// from the committed copy record only.
func (s *Service) Label(c *contract.Copy) ([]byte, error) {
	l, err := custody.CopyRecord{ChainID: s.cust.ChainID, TitleID: c.Title, JobID: c.JobID, TokenID: c.Token, StationKeyID: c.Station}.Label()
	if err != nil {
		return nil, fmt.Errorf("keyservice: copy label of job %s: %w", c.JobID, err)
	}
	return l, nil
}

// pending checks the copy's current attempt is pending on mediaID and
// returns its attempt number and the title's format for the copy.
func pending(t *contract.Title, c *contract.Copy, mediaID []byte, op string) (uint32, keys.FormatMetadata, error) {
	cur := c.Current()
	if cur.Outcome != contract.OutcomePending || !hmac.Equal(cur.MediaID, mediaID) {
		return 0, keys.FormatMetadata{}, fmt.Errorf("%s: job %s: %w", op, c.JobID, ErrNotPending)
	}
	format, ok := t.Format(c.Profile)
	if !ok {
		return 0, keys.FormatMetadata{}, fmt.Errorf("%s: title %s, profile %#x: %w", op, t.ID, c.Profile, ErrNoFormat)
	}
	return uint32(c.Retries()), format, nil
}

func stationKey(st *contract.Station, op string) (*ecdh.PublicKey, error) {
	pub, err := ecdh.P256().NewPublicKey(st.KeyAgreementKey)
	if err != nil {
		return nil, fmt.Errorf("%s: station %s key-agreement key: %w", op, st.ID, err)
	}
	return pub, nil
}

// Partial is round 1 of a release: this node's partial signature on the
// copy label of a committed, pending attempt, sealed to the station's
// enrolled key-agreement key and bound to info, with the player-tree leaves
// revoked at the spend's height (the station writes the disc key block for
// every other player). It carries no key: the station needs t of them to
// make the copy's group signature.
func (s *Service) Partial(t *contract.Title, st *contract.Station, c *contract.Copy, info keys.Info, revoked []uint32) ([]byte, keys.FormatMetadata, error) {
	const op = "keyservice.Partial"
	if s.cust.Share == nil || s.cust.Group == nil {
		return nil, keys.FormatMetadata{}, fmt.Errorf("%s: %w", op, ErrNoCustody)
	}
	_, format, err := pending(t, c, info.MediaID, op)
	if err != nil {
		return nil, format, err
	}
	label, err := s.Label(c)
	if err != nil {
		return nil, format, err
	}
	if s.cust.Fault == FaultWrongPartial {
		label = append(label, "fault"...)
	}
	p, err := custody.PartialSign(s.cust.Share, label)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	pb, _ := p.MarshalBinary()
	pub, err := stationKey(st, op)
	if err != nil {
		return nil, format, err
	}
	sealed, err := keys.SealPartial(pub, info, pb, revoked)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	return sealed, format, nil
}

// CheckSigma verifies a station's group signature against the group key
// and this node's own label for the copy, so the station cannot choose the
// codeword: BLS signatures are unique, and the label comes from the
// committed record.
func (s *Service) CheckSigma(c *contract.Copy, sigma []byte) (custody.Signature, error) {
	var sig custody.Signature
	if s.cust.Group == nil {
		return sig, fmt.Errorf("keyservice.CheckSigma: %w", ErrNoCustody)
	}
	if len(sigma) != len(sig) {
		return sig, fmt.Errorf("keyservice.CheckSigma: job %s: %w: %d bytes, want %d", c.JobID, ErrBadSigma, len(sigma), len(sig))
	}
	copy(sig[:], sigma)
	label, err := s.Label(c)
	if err != nil {
		return sig, err
	}
	if err := custody.Verify(s.cust.Group.Key(), label, sig); err != nil {
		return sig, fmt.Errorf("keyservice.CheckSigma: job %s: %w (%v)", c.JobID, ErrBadSigma, err)
	}
	return sig, nil
}

// ReleaseKeys is round 2 of a release, the one function the node's side
// of it goes through: for a committed, pending attempt and the copy's group
// signature (checked by CheckSigma), it derives the codeword from sigma and
// seals to the station the base key and, per forensic segment, the key of
// the variant the codeword names. No disc key is sent: the station derives
// it from sigma (custody.DiscKey) and writes the disc key block itself.
func (s *Service) ReleaseKeys(t *contract.Title, st *contract.Station, c *contract.Copy, info keys.Info, sigma custody.Signature) ([]byte, keys.FormatMetadata, error) {
	const op = "keyservice.ReleaseKeys"
	_, format, err := pending(t, c, info.MediaID, op)
	if err != nil {
		return nil, format, err
	}
	cw, err := custody.DeriveCodeword(sigma, 8*contract.CodewordLen(t))
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	k := &keys.CopyKeys{Format: format, Codeword: cw.Bytes()}
	defer k.Wipe()
	if err := s.titleKeys(t, k); err != nil {
		return nil, format, err
	}
	pub, err := stationKey(st, op)
	if err != nil {
		return nil, format, err
	}
	sealed, err := keys.Seal(pub, info, k)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", op, err)
	}
	return sealed, format, nil
}

// titleKeys fills in the keys of the title this copy is given: the base key
// and, per forensic segment, the key of the variant its codeword names.
// The title secret and the other variants' keys are wiped here and never
// leave the node.
func (s *Service) titleKeys(t *contract.Title, k *keys.CopyKeys) error {
	secret, err := s.OpenPackageKey(t.ID, t.SealedPackageKey)
	if err != nil {
		return err
	}
	all, err := titlepkg.DeriveKeys(secret, len(t.Segments))
	keys.Zero(secret)
	if err != nil {
		return fmt.Errorf("keyservice.ReleaseKeys: title %s: %w", t.ID, err)
	}
	defer all.Wipe()
	sel, err := all.Select(k.Codeword)
	if err != nil {
		return fmt.Errorf("keyservice.ReleaseKeys: title %s: %w", t.ID, err)
	}
	k.BaseKey = sel.Base
	k.VariantKeys = make([][]byte, len(sel.Variants))
	for i, v := range sel.Variants {
		k.VariantKeys[i] = v[titlepkg.CodewordBit(k.Codeword, i)]
	}
	return nil
}

func depositInfo(titleID string) []byte { return []byte(depositInfoLabel + "\x00" + titleID) }

// SealPackageKey is the issuer's side of a deposit: it seals a title's
// package key to the network deposit key with HPKE (DHKEM(P-256),
// HKDF-SHA256, AES-256-GCM), bound to the title ID.
func SealPackageKey(deposit *ecdh.PublicKey, titleID string, packageKey []byte) ([]byte, error) {
	pk, err := hpke.NewDHKEMPublicKey(deposit)
	if err != nil {
		return nil, fmt.Errorf("keyservice.SealPackageKey: %w", err)
	}
	out, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.AES256GCM(), depositInfo(titleID), packageKey)
	if err != nil {
		return nil, fmt.Errorf("keyservice.SealPackageKey: %w", err)
	}
	return out, nil
}

// OpenPackageKey opens a title's deposited package key.
func (s *Service) OpenPackageKey(titleID string, sealed []byte) ([]byte, error) {
	if s.deposit == nil { // a node that joined after genesis holds none
		return nil, fmt.Errorf("keyservice.OpenPackageKey: title %s: %w: this node joined after genesis and holds no deposit key", titleID, ErrPackageKey)
	}
	sk, err := hpke.NewDHKEMPrivateKey(s.deposit)
	if err != nil {
		return nil, fmt.Errorf("keyservice.OpenPackageKey: %w", err)
	}
	k, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.AES256GCM(), depositInfo(titleID), sealed)
	if err != nil || len(k) != keys.KeySize {
		return nil, fmt.Errorf("keyservice.OpenPackageKey: title %s: %w", titleID, ErrPackageKey)
	}
	return k, nil
}

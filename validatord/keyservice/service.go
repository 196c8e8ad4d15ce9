package keyservice

import (
	"crypto/ecdh"
	"crypto/hmac"
	"errors"
	"fmt"
	"sync"

	"copystation/custody"
	"copystation/keys"
	"copystation/validatord/contract"
)

// Errors of the key service.
var (
	ErrNotPending = errors.New("keyservice: the copy has no pending attempt on this disc")
	ErrNoFormat   = errors.New("keyservice: the title has no format metadata for the copy's disc profile")
	ErrNoCustody  = errors.New("keyservice: this node holds no custody share or group; its home predates the genesis ceremony, so make the node again with validatord init")
	// ErrBadSigma: the station's group signature is not the network's
	// signature on this node's own label for the copy, so no codeword
	// follows from it and nothing is released.
	ErrBadSigma = errors.New("keyservice: the group signature does not verify against the group key and this node's label for the copy")
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
	// Epochs are the node's reshared shares by custody epoch (from its
	// vault), used from the height that epoch's record commits (Follow).
	Epochs map[uint32]*custody.KeyShare
	Fault  Fault
}

// Service holds a node's one secret of the release rounds in memory: its
// own share of the group secret. It holds no title key: a title's keys
// exist only as the shares its issuer dealt (Custodian).
type Service struct {
	cust   Custody
	biases biasCache   // traced titles' biases, once combined (tracing.go)
	epochs EpochSource // nil: epoch 0 only (Follow)
	cache  epochCache
	emu    sync.Mutex  // guards cust.Share, cust.Epochs (AddEpochShare extends it) and uses
	uses   shareUses   // shares in use, and those whose epoch is over (retire.go)
	vault  vaultReader // where a running node's new epoch share is (ReadSharesFrom)
}

// New makes a key service from the node's custody share. No secret is
// shared by every node: a copy's codeword and disc key come from its group
// signature, its title keys from t nodes' dealt shares, and the station
// writes the disc key block.
func New(c Custody) *Service {
	return &Service{cust: c}
}

// Close wipes the custody shares from memory.
func (s *Service) Close() {
	s.emu.Lock()
	defer s.emu.Unlock()
	s.cust.Share.Wipe()
	for _, sh := range s.cust.Epochs {
		sh.Wipe()
	}
}

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
	ef, err := s.inForce(op)
	if err != nil {
		return nil, keys.FormatMetadata{}, err
	}
	defer ef.done()
	if ef.share == nil || ef.group == nil {
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
	p, err := custody.PartialSign(ef.share, label)
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
	ef, err := s.inForce("keyservice.CheckSigma")
	if err != nil {
		return sig, err
	}
	defer ef.done()
	if ef.group == nil {
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
	if err := custody.Verify(ef.group.Key(), label, sig); err != nil {
		return sig, fmt.Errorf("keyservice.CheckSigma: job %s: %w (%v)", c.JobID, ErrBadSigma, err)
	}
	return sig, nil
}

package keyservice

import (
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/sha256"
	"errors"
	"fmt"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/validatord/contract"
)

// Errors of the key service.
var (
	ErrSecret     = errors.New("keyservice: the copy secret must be 32 bytes or more")
	ErrPackageKey = errors.New("keyservice: the title's sealed package key does not open on this node")
	ErrNotPending = errors.New("keyservice: the copy has no pending attempt on this disc")
	ErrNoFormat   = errors.New("keyservice: the title has no format metadata for the copy's disc profile")
)

// Purposes of the derived secrets, beyond keys.PurposeDiscKey and
// keys.PurposeCodeword.
const (
	purposeCommit    = "codeword-commitment"
	depositInfoLabel = "copystation package-key deposit v1"
)

// Service holds a node's network secrets in memory.
type Service struct {
	secret  []byte
	deposit *ecdh.PrivateKey
}

var _ contract.CodewordCommitter = (*Service)(nil)

// New makes a key service from the network's copy secret and deposit key.
func New(copySecret []byte, deposit *ecdh.PrivateKey) (*Service, error) {
	if len(copySecret) < keys.MinMasterLen {
		return nil, ErrSecret
	}
	return &Service{secret: append([]byte(nil), copySecret...), deposit: deposit}, nil
}

// Close wipes the copy secret from memory.
func (s *Service) Close() { keys.Zero(s.secret) }

// DepositPublicKey is the key issuers seal package keys to.
func (s *Service) DepositPublicKey() *ecdh.PublicKey { return s.deposit.PublicKey() }

// codeword derives an attempt's forensic codeword: one bit per segment.
func (s *Service) codeword(jobID string, attempt int, mediaID []byte, n int) ([]byte, error) {
	return keys.DeriveCopySecret(s.secret, keys.ForAttempt(keys.PurposeCodeword, attempt), jobID, mediaID, n)
}

// CommitCodeword implements contract.CodewordCommitter: HMAC-SHA256 under a
// key derived from the copy secret, over the job, the media ID and a
// 32-byte codeword seed of one attempt, so the ledger can't reveal the
// codeword yet a node can later prove which copy a traced codeword came
// from.
func (s *Service) CommitCodeword(jobID string, attempt int, mediaID []byte) ([]byte, error) {
	k, err := keys.DeriveCopySecret(s.secret, keys.ForAttempt(purposeCommit, attempt), jobID, mediaID, 32)
	if err != nil {
		return nil, fmt.Errorf("keyservice.CommitCodeword: %w", err)
	}
	defer keys.Zero(k)
	seed, err := s.codeword(jobID, attempt, mediaID, 32)
	if err != nil {
		return nil, fmt.Errorf("keyservice.CommitCodeword: %w", err)
	}
	defer keys.Zero(seed)
	m := hmac.New(sha256.New, k)
	m.Write(seed)
	return m.Sum(nil), nil
}

// CopyKeys derives the media copy keys for the current attempt of a
// committed copy. The caller must have read the copy from committed state.
func (s *Service) CopyKeys(t *contract.Title, c *contract.Copy, mediaID []byte) (*keys.CopyKeys, error) {
	cur := c.Current()
	if cur.Outcome != contract.OutcomePending || !hmac.Equal(cur.MediaID, mediaID) {
		return nil, fmt.Errorf("keyservice.CopyKeys: job %s: %w", c.JobID, ErrNotPending)
	}
	format, ok := t.Format(c.Profile)
	if !ok {
		return nil, fmt.Errorf("keyservice.CopyKeys: title %s, profile %#x: %w", t.ID, c.Profile, ErrNoFormat)
	}
	k := &keys.CopyKeys{Format: format}
	attempt := c.Retries()
	var err error
	if k.DiscKey, err = keys.DeriveDiscKey(s.secret, c.JobID, attempt, mediaID); err != nil {
		k.Wipe()
		return nil, fmt.Errorf("keyservice.CopyKeys: %w", err)
	}
	// The codeword carries one bit per forensic segment; the first bits of
	// the seed are the same bits the commitment covers.
	seed, err := s.codeword(c.JobID, attempt, mediaID, 32)
	if err != nil {
		k.Wipe()
		return nil, fmt.Errorf("keyservice.CopyKeys: %w", err)
	}
	if n := contract.CodewordLen(t); n <= len(seed) {
		k.Codeword = append([]byte(nil), seed[:n]...)
	} else if k.Codeword, err = s.codeword(c.JobID, attempt, mediaID, n); err != nil {
		k.Wipe()
		return nil, fmt.Errorf("keyservice.CopyKeys: %w", err)
	}
	keys.Zero(seed)
	if err := s.titleKeys(t, k); err != nil {
		k.Wipe()
		return nil, err
	}
	return k, nil
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
		return fmt.Errorf("keyservice.CopyKeys: title %s: %w", t.ID, err)
	}
	defer all.Wipe()
	sel, err := all.Select(k.Codeword)
	if err != nil {
		return fmt.Errorf("keyservice.CopyKeys: title %s: %w", t.ID, err)
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

// Release derives the copy keys for a committed, pending attempt and seals
// them to the station's enrolled key-agreement key, with the player tree's
// leaves revoked at the spend's height (the station writes the disc key
// block for every other player).
func (s *Service) Release(t *contract.Title, st *contract.Station, c *contract.Copy, info keys.Info, revoked []uint32) ([]byte, keys.FormatMetadata, error) {
	k, err := s.CopyKeys(t, c, info.MediaID)
	if err != nil {
		return nil, keys.FormatMetadata{}, err
	}
	defer k.Wipe()
	k.Revoked = revoked
	pub, err := ecdh.P256().NewPublicKey(st.KeyAgreementKey)
	if err != nil {
		return nil, keys.FormatMetadata{}, fmt.Errorf("keyservice.Release: station %s key-agreement key: %w", st.ID, err)
	}
	sealed, err := keys.Seal(pub, info, k)
	if err != nil {
		return nil, keys.FormatMetadata{}, fmt.Errorf("keyservice.Release: %w", err)
	}
	return sealed, k.Format, nil
}

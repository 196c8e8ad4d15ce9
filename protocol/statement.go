package protocol

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version every signature covers. Version 2 added
// the chain ID to every statement and grant, and the attempt binding to
// copy requests and reports. Version 3 made the release two rounds: the
// KeyRelease carries a node's partial signature on the copy label, and
// KeyRequest/ShareRelease carry the keys. Version 4 added the sealed title
// partials to KeyRelease and KeyRequest (Tardos codewords for traced
// titles) and the codeword to the sealed share release.
const Version uint16 = 4

// GrantVersion is the customer grant's own version, apart from the wire
// protocol's: a grant is signed by the customer's wallet (a phone page, a
// command) that is not upgraded with the stations and nodes, so a change
// of the station-node protocol must not invalidate it. It changes only
// when the grant's own encoding does.
const GrantVersion uint16 = 3

// Domain-separation labels: every signed statement starts with one, so a
// signature made for one kind of statement never verifies as another.
const (
	LabelCopyRequest   = "copystation copy-request"
	LabelCopyReport    = "copystation copy-report"
	LabelCustomerGrant = "copystation customer-authorization"
)

// Statement is anything a station, customer or node signs.
type Statement interface {
	// SigningBytes returns the deterministic encoding that is hashed with
	// SHA-256 and signed: label, version, then the fields in order.
	SigningBytes() []byte
}

// CopyRequest is what a station signs with its TPM key to ask for a copy. It
// is bound to one network, one Noise handshake and one challenge, so it
// cannot be replayed on another network or connection; and to one attempt
// of its job, so once that disc is reported it cannot open another.
type CopyRequest struct {
	ChainID         string // the ledger's chain ID, from the challenge
	HandshakeHash   []byte // Noise handshake hash of this connection
	ChallengeNonce  []byte // the node's challenge nonce
	NodeID          string // the node that issued the challenge
	ChallengeExpiry int64  // Unix seconds
	JobID           string
	TokenID         string
	TitleID         string
	Profile         uint16 // MMC profile of the blank
	MediaID         []byte // the blank's unique media identifier
	// CustomerGrant is the encoded, signed CustomerGrant when the token is
	// owned by a customer; empty when the token is owned by the station.
	CustomerGrant []byte
	// Attempt is the disc this spend authorises: 0 for the job's first
	// blank, n for its n-th retry. The contract accepts only the job's
	// next attempt (or a repeat of its pending one).
	Attempt uint32
	// PrevReport is ReportDigest of the signed report that closed attempt
	// Attempt-1 (spoiled); empty for attempt 0.
	PrevReport []byte
}

// CustomerGrant is a customer's authorisation, signed with the key that owns
// the token, for one copy of one title at one station before an expiry.
type CustomerGrant struct {
	ChainID   string // the ledger's chain ID: a grant for a test network is void elsewhere
	TokenID   string
	StationID string
	TitleID   string
	Expiry    int64 // Unix seconds
}

// CopyReport is what a station signs to report a copy made or spoiled.
type CopyReport struct {
	ChainID       string
	HandshakeHash []byte
	JobID         string
	Attempt       uint32 // the attempt this disc was authorised as (CopyRequest.Attempt)
	MediaID       []byte
	Outcome       uint8 // OutcomeMade or OutcomeSpoiled
	DiscDigest    []byte
	Reason        string
}

// ReportDigest names a signed report: SHA-256 of its SigningBytes. A retry's
// CopyRequest.PrevReport carries the digest of the report that spoiled the
// attempt before it.
func ReportDigest(r *CopyReport) []byte {
	d := sha256.Sum256(r.SigningBytes())
	return d[:]
}

// Outcomes of a copy.
const (
	OutcomeMade    uint8 = 1
	OutcomeSpoiled uint8 = 2
)

type enc struct{ b []byte }

func newEnc(label string) *enc { return newEncVersion(label, Version) }

func newEncVersion(label string, v uint16) *enc {
	e := &enc{}
	e.str(label)
	e.b = binary.BigEndian.AppendUint16(e.b, v)
	return e
}

func (e *enc) bytes(p []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(p)))
	e.b = append(e.b, p...)
}
func (e *enc) str(s string) { e.bytes([]byte(s)) }
func (e *enc) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) i64(v int64)  { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }
func (e *enc) done() []byte { return e.b }

// SigningBytes implements Statement.
func (r *CopyRequest) SigningBytes() []byte {
	e := newEnc(LabelCopyRequest)
	e.str(r.ChainID)
	e.bytes(r.HandshakeHash)
	e.bytes(r.ChallengeNonce)
	e.str(r.NodeID)
	e.i64(r.ChallengeExpiry)
	e.str(r.JobID)
	e.str(r.TokenID)
	e.str(r.TitleID)
	e.u16(r.Profile)
	e.bytes(r.MediaID)
	e.bytes(r.CustomerGrant)
	e.u32(r.Attempt)
	e.bytes(r.PrevReport)
	return e.done()
}

// SigningBytes implements Statement.
func (g *CustomerGrant) SigningBytes() []byte {
	e := newEncVersion(LabelCustomerGrant, GrantVersion)
	e.str(g.ChainID)
	e.str(g.TokenID)
	e.str(g.StationID)
	e.str(g.TitleID)
	e.i64(g.Expiry)
	return e.done()
}

// SigningBytes implements Statement.
func (c *CopyReport) SigningBytes() []byte {
	e := newEnc(LabelCopyReport)
	e.str(c.ChainID)
	e.bytes(c.HandshakeHash)
	e.str(c.JobID)
	e.u32(c.Attempt)
	e.bytes(c.MediaID)
	e.u8(c.Outcome)
	e.bytes(c.DiscDigest)
	e.str(c.Reason)
	return e.done()
}

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// ErrBadPublicKey is returned for a public key that is not an uncompressed
// P-256 point.
var ErrBadPublicKey = errors.New("public key is not an uncompressed P-256 point")

// Sign signs a statement with an ECDSA P-256 signer (a TPM key or a software
// key): SHA-256 over SigningBytes, ASN.1 DER signature in its low-S form.
func Sign(rnd io.Reader, s crypto.Signer, st Statement) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	d := Digest(st)
	sig, err := s.Sign(rnd, d[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("protocol.Sign: %w", err)
	}
	if sig, err = lowS(sig); err != nil {
		return nil, fmt.Errorf("protocol.Sign: %w", err)
	}
	return sig, nil
}

// Verify checks an ASN.1 DER ECDSA P-256 signature over a statement with a
// public key in uncompressed SEC1 form (65 bytes). Only the canonical form is
// accepted: strict DER, s <= n/2 (see lows.go).
func Verify(pub []byte, st Statement, sig []byte) error {
	d := Digest(st)
	return VerifyDigest(pub, d, sig)
}

// Digest is what a statement's signature signs: SHA-256 over its
// SigningBytes.
func Digest(st Statement) [32]byte { return sha256.Sum256(st.SigningBytes()) }

// VerifyDigest is Verify for a statement whose Digest is d.
func VerifyDigest(pub []byte, d [32]byte, sig []byte) error {
	k, err := ParsePublicKey(pub)
	if err != nil {
		return err
	}
	if err := checkLowS(sig); err != nil {
		return err
	}
	if !ecdsa.VerifyASN1(k, d[:], sig) {
		return ErrBadSignature
	}
	return nil
}

// ParsePublicKey decodes an uncompressed SEC1 P-256 public key.
func ParsePublicKey(pub []byte) (*ecdsa.PublicKey, error) {
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	return k, nil
}

// KeyID names a P-256 public key on the ledger: the lowercase hex of the
// first 16 bytes of SHA-256 over its uncompressed SEC1 encoding. Station IDs
// and owner IDs are KeyIDs.
func KeyID(pub []byte) string {
	d := sha256.Sum256(pub)
	return hex.EncodeToString(d[:16])
}

// SignerPublicKey returns the uncompressed SEC1 public key of an ECDSA P-256
// signer (a TPM key or a software key), the form every ledger-facing key
// takes. Any other signer is refused with ErrBadPublicKey.
func SignerPublicKey(s crypto.Signer) ([]byte, error) {
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the signer's key is %T, want ECDSA P-256", ErrBadPublicKey, s.Public())
	}
	if pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: the signer's key is on %s, want P-256", ErrBadPublicKey, pub.Curve.Params().Name)
	}
	b, err := pub.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	return b, nil
}

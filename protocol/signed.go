package protocol

import (
	"encoding/binary"

	"copystation/keys"
)

// Labels of the statements a validation node signs.
const (
	LabelKeyRelease    = "copystation key-release"
	LabelReportReceipt = "copystation report-receipt"
)

// KeyRelease is what a node signs when it releases copy keys: the channel,
// the job, the sealed keys as sent, their format and the spend's receipt. A
// release captured on one channel does not verify on another.
type KeyRelease struct {
	HandshakeHash []byte
	JobID         string
	Sealed        []byte
	Format        keys.FormatMetadata
	Height        uint64
	TxHash        []byte
}

// SigningBytes implements Statement.
func (k *KeyRelease) SigningBytes() []byte {
	e := newEnc(LabelKeyRelease)
	e.bytes(k.HandshakeHash)
	e.str(k.JobID)
	e.bytes(k.Sealed)
	e.u16(k.Format.Profile)
	e.u8(k.Format.Layers)
	e.u8(boolByte(k.Format.Finalize))
	e.u8(k.Format.MaxSpeedX)
	e.u32(k.Format.HeaderSectors)
	e.i64(int64(k.Height))
	e.bytes(k.TxHash)
	return e.done()
}

// ReportReceipt is what a node signs when a copy report is on the ledger.
type ReportReceipt struct {
	HandshakeHash []byte
	JobID         string
	Outcome       uint8
	Height        uint64
	TxHash        []byte
}

// SigningBytes implements Statement.
func (r *ReportReceipt) SigningBytes() []byte {
	e := newEnc(LabelReportReceipt)
	e.bytes(r.HandshakeHash)
	e.str(r.JobID)
	e.u8(r.Outcome)
	e.i64(int64(r.Height))
	e.bytes(r.TxHash)
	return e.done()
}

func (e *enc) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }

func boolByte(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// SignedGrant is a customer's CustomerGrant with the owner's public key and
// signature: what a kiosk scans from the customer's QR code and forwards, as
// bytes, in CopyRequest.CustomerGrant.
type SignedGrant struct {
	Grant     CustomerGrant
	OwnerKey  []byte // uncompressed SEC1 P-256; KeyID(OwnerKey) owns the token
	Signature []byte // over Grant.SigningBytes()
}

const grantMagic = "CSG1"

// Encode returns the grant's deterministic encoding: "CSG1", then token,
// station and title IDs, expiry, owner key and signature, each
// length-prefixed as in messages.
func (g *SignedGrant) Encode() []byte {
	e := &wenc{}
	e.fixed([]byte(grantMagic))
	e.str(g.Grant.TokenID)
	e.str(g.Grant.StationID)
	e.str(g.Grant.TitleID)
	e.i64(g.Grant.Expiry)
	e.bytes(g.OwnerKey)
	e.bytes(g.Signature)
	return e.b
}

// DecodeGrant parses an encoded SignedGrant. It checks the form only; the
// node checks the signature, owner, station and expiry.
func DecodeGrant(b []byte) (*SignedGrant, error) {
	if len(b) > MaxGrantLen {
		return nil, &DecodeError{Message: "SignedGrant", Err: ErrFieldTooLong}
	}
	d := &wdec{msg: "SignedGrant", b: b}
	if m := d.take("magic", len(grantMagic)); d.err == nil && string(m) != grantMagic {
		d.fail("magic", ErrVersion)
	}
	g := &SignedGrant{}
	g.Grant.TokenID = d.id("token_id")
	g.Grant.StationID = d.id("station_id")
	g.Grant.TitleID = d.id("title_id")
	g.Grant.Expiry = d.i64("expiry")
	g.OwnerKey = d.fixedBytes("owner_key", PublicKeyLen)
	g.Signature = d.bytes("signature", MaxSignatureLen)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return g, nil
}

// Verify checks the owner's signature over the grant.
func (g *SignedGrant) Verify() error {
	return Verify(g.OwnerKey, &g.Grant, g.Signature)
}

// NodeID names a validation node: the KeyID of its P-256 signing key.
func NodeID(signingKey []byte) string { return KeyID(signingKey) }

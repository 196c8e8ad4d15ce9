package protocol

import (
	"encoding/binary"
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
	ChainID       string
	HandshakeHash []byte
	JobID         string
	Sealed        []byte
	Format        Format
	Height        uint64
	TxHash        []byte
	TitlePartials []TitlePartial
}

// SigningBytes implements Statement.
func (k *KeyRelease) SigningBytes() []byte {
	e := newEnc(LabelKeyRelease)
	e.str(k.ChainID)
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
	signTitlePartials(e, k.TitlePartials)
	return e.done()
}

// ReportReceipt is what a node signs when a copy report is on the ledger.
type ReportReceipt struct {
	ChainID       string
	HandshakeHash []byte
	JobID         string
	Outcome       uint8
	Height        uint64
	TxHash        []byte
}

// SigningBytes implements Statement.
func (r *ReportReceipt) SigningBytes() []byte {
	e := newEnc(LabelReportReceipt)
	e.str(r.ChainID)
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

// SignedGrant is a customer's CustomerGrant with the owner's signature:
// what a kiosk scans from the customer's QR code and forwards, as bytes, in
// CopyRequest.CustomerGrant. The owner's key is not carried: the node takes
// it from the token's record on the ledger.
type SignedGrant struct {
	Grant     CustomerGrant
	Signature []byte // ASN.1 DER, by the token's owner, over Grant.SigningBytes()
}

// Encode returns the grant's deterministic encoding, the one the contract
// decodes: the grant's SigningBytes followed by the signature with a 4-byte
// length. The signed bytes are exactly the bytes carried.
func (g *SignedGrant) Encode() []byte {
	b := g.Grant.SigningBytes()
	b = binary.BigEndian.AppendUint32(b, uint32(len(g.Signature)))
	return append(b, g.Signature...)
}

// DecodeGrant parses an encoded SignedGrant and checks its form (label,
// version, bounds, nothing trailing); the node checks signature, owner,
// station and expiry.
func DecodeGrant(b []byte) (*SignedGrant, error) {
	if len(b) > MaxGrantLen {
		return nil, &DecodeError{Message: "SignedGrant", Err: ErrFieldTooLong}
	}
	d := &wdec{msg: "SignedGrant", b: b}
	if l := d.bytes32("label", len(LabelCustomerGrant)); d.err == nil && string(l) != LabelCustomerGrant {
		d.fail("label", ErrFieldInvalid)
	}
	if v := d.u16("version"); d.err == nil && v != GrantVersion {
		d.fail("version", ErrVersion)
	}
	g := &SignedGrant{}
	g.Grant.ChainID = d.id32("chain_id")
	g.Grant.TokenID = d.id32("token_id")
	g.Grant.StationID = d.id32("station_id")
	g.Grant.TitleID = d.id32("title_id")
	g.Grant.Expiry = d.i64("expiry")
	g.Signature = d.bytes32("signature", MaxSignatureLen)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return g, nil
}

// Verify checks the signature with the token owner's public key (SEC1).
func (g *SignedGrant) Verify(ownerKey []byte) error {
	return Verify(ownerKey, &g.Grant, g.Signature)
}

// NodeID names a validation node: the KeyID of its P-256 signing key.
func NodeID(signingKey []byte) string { return KeyID(signingKey) }

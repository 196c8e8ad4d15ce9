package protocol

import (
	"strconv"
)

// MsgType identifies a message; the values are fixed by docs/protocol.md.
type MsgType uint8

// Message types.
const (
	MsgChallenge   MsgType = 1 // node -> station, first message after the handshake
	MsgCopyRequest MsgType = 2 // station -> node
	MsgKeyRelease  MsgType = 3 // node -> station, after the spend is final
	MsgRefusal     MsgType = 4 // node -> station, ends the conversation
	MsgCopyReport  MsgType = 5 // station -> node
	MsgReceipt     MsgType = 6 // node -> station, after the report is final
	// MsgFragment carries part of a message too large for one frame; the
	// channel reassembles it (Channel.Send, Channel.Receive).
	MsgFragment MsgType = 7
	// Round 2 of a release (protocol version 3).
	MsgKeyRequest   MsgType = 8 // station -> node, with the copy's group signature
	MsgShareRelease MsgType = 9 // node -> station, the copy's keys
)

func (t MsgType) String() string {
	switch t {
	case MsgChallenge:
		return "Challenge"
	case MsgCopyRequest:
		return "CopyRequest"
	case MsgKeyRelease:
		return "KeyRelease"
	case MsgRefusal:
		return "Refusal"
	case MsgCopyReport:
		return "CopyReport"
	case MsgReceipt:
		return "Receipt"
	case MsgFragment:
		return "Fragment"
	case MsgKeyRequest:
		return "KeyRequest"
	case MsgShareRelease:
		return "ShareRelease"
	case MsgEpoch:
		return "Epoch"
	}
	return "MsgType(" + strconv.Itoa(int(t)) + ")"
}

// Message is one plaintext message of the conversation.
type Message interface {
	Type() MsgType
	encode(e *wenc)
}

// Marshal encodes a message: version, type, fields.
func Marshal(m Message) []byte {
	e := &wenc{}
	e.u16(Version)
	e.u8(uint8(m.Type()))
	m.encode(e)
	return e.b
}

// Unmarshal decodes one message. Errors are *DecodeError.
func Unmarshal(b []byte) (Message, error) {
	d := &wdec{msg: "header", b: b}
	v := d.u16("version")
	t := MsgType(d.u8("type"))
	if d.err != nil {
		return nil, d.err
	}
	if v != Version {
		return nil, &DecodeError{Message: "header", Field: "version", Err: ErrVersion}
	}
	d.msg = t.String()
	var m interface {
		Message
		decode(d *wdec)
	}
	switch t {
	case MsgChallenge:
		m = &ChallengeMsg{}
	case MsgCopyRequest:
		m = &CopyRequestMsg{}
	case MsgKeyRelease:
		m = &KeyReleaseMsg{}
	case MsgRefusal:
		m = &RefusalMsg{}
	case MsgCopyReport:
		m = &CopyReportMsg{}
	case MsgReceipt:
		m = &ReceiptMsg{}
	case MsgKeyRequest:
		m = &KeyRequestMsg{}
	case MsgShareRelease:
		m = &ShareReleaseMsg{}
	case MsgEpoch:
		m = &EpochMsg{}
	default:
		return nil, &DecodeError{Message: "header", Field: "type", Err: ErrUnknownType}
	}
	m.decode(d)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

// ChallengeMsg is the node's challenge, bound to the handshake hash.
type ChallengeMsg struct {
	Nonce         []byte // NonceLen random bytes
	NodeID        string // NodeID of the node's signing key
	Expiry        int64  // Unix seconds; the request must arrive before it
	HandshakeHash []byte // the channel's handshake hash, as the node sees it
	// ChainID is the ledger's chain ID: every statement signed in this
	// conversation covers it, so none verifies on another network. A
	// station with a pinned chain ID refuses a challenge for another.
	ChainID string
}

// Type implements Message.
func (*ChallengeMsg) Type() MsgType { return MsgChallenge }

func (m *ChallengeMsg) encode(e *wenc) {
	e.bytes(m.Nonce)
	e.str(m.NodeID)
	e.i64(m.Expiry)
	e.bytes(m.HandshakeHash)
	e.str(m.ChainID)
}

func (m *ChallengeMsg) decode(d *wdec) {
	m.Nonce = d.fixedBytes("nonce", NonceLen)
	m.NodeID = d.id("node_id")
	m.Expiry = d.i64("expiry")
	m.HandshakeHash = d.fixedBytes("handshake_hash", HandshakeHashLen)
	m.ChainID = d.id("chain_id")
}

// CopyRequestMsg asks for one copy; Signature is the station's TPM signature
// over the CopyRequest statement built from this message and the challenge.
type CopyRequestMsg struct {
	StationID string
	JobID     string
	TokenID   string
	TitleID   string
	Profile   uint16
	MediaID   []byte
	Grant     []byte // empty, or an encoded SignedGrant
	// Attempt and PrevReport bind the spend to one disc of the job: see
	// CopyRequest.
	Attempt    uint32
	PrevReport []byte // empty for attempt 0, else ReportDigestLen bytes
	Signature  []byte
}

// Type implements Message.
func (*CopyRequestMsg) Type() MsgType { return MsgCopyRequest }

func (m *CopyRequestMsg) encode(e *wenc) {
	e.str(m.StationID)
	e.str(m.JobID)
	e.str(m.TokenID)
	e.str(m.TitleID)
	e.u16(m.Profile)
	e.bytes(m.MediaID)
	e.bytes(m.Grant)
	e.u32(m.Attempt)
	e.bytes(m.PrevReport)
	e.bytes(m.Signature)
}

func (m *CopyRequestMsg) decode(d *wdec) {
	m.StationID = d.id("station_id")
	m.JobID = d.id("job_id")
	m.TokenID = d.id("token_id")
	m.TitleID = d.id("title_id")
	m.Profile = d.u16("profile")
	m.MediaID = d.bytes("media_id", MaxMediaIDLen)
	m.Grant = d.bytes("grant", MaxGrantLen)
	m.Attempt = d.u32("attempt")
	m.PrevReport = d.bytes("prev_report", ReportDigestLen)
	m.Signature = d.bytes("signature", MaxSignatureLen)
	if d.err == nil && len(m.PrevReport) != 0 && len(m.PrevReport) != ReportDigestLen {
		d.fail("prev_report", ErrFieldBadLength)
	}
	if d.err == nil && (m.Attempt == 0) != (len(m.PrevReport) == 0) {
		d.fail("prev_report", ErrFieldInvalid) // attempt 0 has none; a retry needs one
	}
}

// Statement returns the CopyRequest statement this message's signature
// covers on a channel with handshake hash hh and challenge c.
func (m *CopyRequestMsg) Statement(hh []byte, c *ChallengeMsg) *CopyRequest {
	return &CopyRequest{
		ChainID:         c.ChainID,
		HandshakeHash:   hh,
		ChallengeNonce:  c.Nonce,
		NodeID:          c.NodeID,
		ChallengeExpiry: c.Expiry,
		JobID:           m.JobID,
		TokenID:         m.TokenID,
		TitleID:         m.TitleID,
		Profile:         m.Profile,
		MediaID:         m.MediaID,
		CustomerGrant:   m.Grant,
		Attempt:         m.Attempt,
		PrevReport:      m.PrevReport,
	}
}

// KeyReleaseMsg is round 1 of a release, after the spend is final: Sealed
// is the node's partial signature on the copy label (keys.SealPartial), not
// a key.
type KeyReleaseMsg struct {
	JobID  string
	Sealed []byte // keys.SealPartial output for the station's key-agreement key
	Format Format
	Height uint64 // block height of the spend
	TxHash []byte // hash of the spend transaction
	// TitlePartials, for a title registered with tracing parameters: the
	// node's partial on the title's tracing label sealed to each custody
	// node (version 4); empty for a title without tracing.
	TitlePartials []TitlePartial
	NodeSignature []byte // over the KeyRelease statement
}

// Type implements Message.
func (*KeyReleaseMsg) Type() MsgType { return MsgKeyRelease }

func (m *KeyReleaseMsg) encode(e *wenc) {
	e.str(m.JobID)
	e.bytes32(m.Sealed)
	encodeFormat(e, m.Format)
	e.u64(m.Height)
	e.bytes(m.TxHash)
	encodeTitlePartials(e, m.TitlePartials)
	e.bytes(m.NodeSignature)
}

func (m *KeyReleaseMsg) decode(d *wdec) {
	m.JobID = d.id("job_id")
	m.Sealed = d.bytes32("sealed", MaxSealedLen)
	m.Format = decodeFormat(d)
	m.Height = d.u64("height")
	m.TxHash = d.bytes("tx_hash", MaxHashLen)
	m.TitlePartials = decodeTitlePartials(d)
	m.NodeSignature = d.bytes("node_signature", MaxSignatureLen)
}

// Statement returns the KeyRelease statement NodeSignature covers on
// chainID's network.
func (m *KeyReleaseMsg) Statement(chainID string, hh []byte) *KeyRelease {
	return &KeyRelease{ChainID: chainID, HandshakeHash: hh, JobID: m.JobID, Sealed: m.Sealed,
		Format: m.Format, Height: m.Height, TxHash: m.TxHash, TitlePartials: m.TitlePartials}
}

func encodeFormat(e *wenc, f Format) {
	e.u16(f.Profile)
	e.u8(f.Layers)
	e.boolean(f.Finalize)
	e.u8(f.MaxSpeedX)
	e.u32(f.HeaderSectors)
}

func decodeFormat(d *wdec) Format {
	var f Format
	f.Profile = d.u16("format.profile")
	f.Layers = d.u8("format.layers")
	f.Finalize = d.boolean("format.finalize")
	f.MaxSpeedX = d.u8("format.max_speed_x")
	f.HeaderSectors = d.u32("format.header_sectors")
	if d.err == nil && (f.Layers < 1 || f.Layers > 2) {
		d.fail("format.layers", ErrFieldInvalid)
	}
	return f
}

// RefusalMsg ends a conversation with a typed reason.
type RefusalMsg struct {
	Code    Code
	Message string // for a person: what went wrong and what to do
}

// Type implements Message.
func (*RefusalMsg) Type() MsgType { return MsgRefusal }

func (m *RefusalMsg) encode(e *wenc) {
	e.u16(uint16(m.Code))
	e.str(m.Message)
}

func (m *RefusalMsg) decode(d *wdec) {
	m.Code = Code(d.u16("code"))
	m.Message = d.str("message", MaxMessageLen)
	if d.err == nil && !m.Code.Known() {
		d.fail("code", ErrFieldInvalid)
	}
}

// CopyReportMsg reports a copy made or spoiled; Signature is the station's
// signature over the CopyReport statement on this channel.
type CopyReportMsg struct {
	StationID  string
	JobID      string
	Attempt    uint32 // the attempt the disc was authorised as
	MediaID    []byte
	Outcome    uint8 // OutcomeMade or OutcomeSpoiled
	DiscDigest []byte
	Reason     string
	Signature  []byte
}

// Type implements Message.
func (*CopyReportMsg) Type() MsgType { return MsgCopyReport }

func (m *CopyReportMsg) encode(e *wenc) {
	e.str(m.StationID)
	e.str(m.JobID)
	e.u32(m.Attempt)
	e.bytes(m.MediaID)
	e.u8(m.Outcome)
	e.bytes(m.DiscDigest)
	e.str(m.Reason)
	e.bytes(m.Signature)
}

func (m *CopyReportMsg) decode(d *wdec) {
	m.StationID = d.id("station_id")
	m.JobID = d.id("job_id")
	m.Attempt = d.u32("attempt")
	m.MediaID = d.bytes("media_id", MaxMediaIDLen)
	m.Outcome = d.u8("outcome")
	m.DiscDigest = d.bytes("disc_digest", MaxHashLen)
	m.Reason = d.str("reason", MaxReasonLen)
	m.Signature = d.bytes("signature", MaxSignatureLen)
	if d.err == nil && m.Outcome != OutcomeMade && m.Outcome != OutcomeSpoiled {
		d.fail("outcome", ErrFieldInvalid)
	}
}

// Statement returns the CopyReport statement Signature covers on chainID's
// network.
func (m *CopyReportMsg) Statement(chainID string, hh []byte) *CopyReport {
	return &CopyReport{ChainID: chainID, HandshakeHash: hh, JobID: m.JobID, Attempt: m.Attempt, MediaID: m.MediaID,
		Outcome: m.Outcome, DiscDigest: m.DiscDigest, Reason: m.Reason}
}

// ReceiptMsg confirms a copy report is on the ledger.
type ReceiptMsg struct {
	JobID         string
	Outcome       uint8
	Height        uint64
	TxHash        []byte
	NodeSignature []byte // over the ReportReceipt statement
}

// Type implements Message.
func (*ReceiptMsg) Type() MsgType { return MsgReceipt }

func (m *ReceiptMsg) encode(e *wenc) {
	e.str(m.JobID)
	e.u8(m.Outcome)
	e.u64(m.Height)
	e.bytes(m.TxHash)
	e.bytes(m.NodeSignature)
}

func (m *ReceiptMsg) decode(d *wdec) {
	m.JobID = d.id("job_id")
	m.Outcome = d.u8("outcome")
	m.Height = d.u64("height")
	m.TxHash = d.bytes("tx_hash", MaxHashLen)
	m.NodeSignature = d.bytes("node_signature", MaxSignatureLen)
}

// Statement returns the ReportReceipt statement NodeSignature covers on
// chainID's network.
func (m *ReceiptMsg) Statement(chainID string, hh []byte) *ReportReceipt {
	return &ReportReceipt{ChainID: chainID, HandshakeHash: hh, JobID: m.JobID, Outcome: m.Outcome,
		Height: m.Height, TxHash: m.TxHash}
}

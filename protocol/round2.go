package protocol

// Round 2 of a copy's release (docs/protocol.md, "Release rounds"): the
// station, holding the copy's group signature sigma combined from t nodes'
// partials (round 1, KeyRelease), asks nodes for the copy's title keys.

// SigmaLen is the size of a copy's group signature: a compressed BLS12-381
// G1 point (custody.Signature).
const SigmaLen = 48

// Labels of the round-2 statements.
const (
	LabelKeyRequest   = "copystation key-request"
	LabelShareRelease = "copystation share-release"
)

// KeyRequest is what a station signs to ask a node for a copy's keys in
// round 2. Like a CopyRequest it is bound to one network, one Noise
// handshake and one challenge; it names the pending attempt and blank, and
// carries the copy's group signature, which the node checks against the
// group key and its own label for the job.
type KeyRequest struct {
	ChainID         string
	HandshakeHash   []byte
	ChallengeNonce  []byte
	NodeID          string
	ChallengeExpiry int64
	JobID           string
	Attempt         uint32
	MediaID         []byte
	Sigma           []byte // SigmaLen bytes
	TitlePartials   []TitlePartial
}

// SigningBytes implements Statement.
func (r *KeyRequest) SigningBytes() []byte {
	e := newEnc(LabelKeyRequest)
	e.str(r.ChainID)
	e.bytes(r.HandshakeHash)
	e.bytes(r.ChallengeNonce)
	e.str(r.NodeID)
	e.i64(r.ChallengeExpiry)
	e.str(r.JobID)
	e.u32(r.Attempt)
	e.bytes(r.MediaID)
	e.bytes(r.Sigma)
	signTitlePartials(e, r.TitlePartials)
	return e.done()
}

// ShareRelease is what a node signs when it answers a KeyRequest: the
// channel, the job and attempt, and the sealed keys as sent.
type ShareRelease struct {
	ChainID       string
	HandshakeHash []byte
	JobID         string
	Attempt       uint32
	Sealed        []byte
}

// SigningBytes implements Statement.
func (r *ShareRelease) SigningBytes() []byte {
	e := newEnc(LabelShareRelease)
	e.str(r.ChainID)
	e.bytes(r.HandshakeHash)
	e.str(r.JobID)
	e.u32(r.Attempt)
	e.bytes(r.Sealed)
	return e.done()
}

// KeyRequestMsg is message 8, station -> node: round 2 of a release.
// Signature is the station's TPM signature over the KeyRequest statement
// built from this message and the challenge.
type KeyRequestMsg struct {
	StationID string
	JobID     string
	Attempt   uint32
	MediaID   []byte
	Sigma     []byte // SigmaLen bytes
	// TitlePartials relays, for a traced title, every sealed title partial
	// the station received in round 1 (version 4); the node opens those
	// sealed to it.
	TitlePartials []TitlePartial
	Signature     []byte
}

// Type implements Message.
func (*KeyRequestMsg) Type() MsgType { return MsgKeyRequest }

func (m *KeyRequestMsg) encode(e *wenc) {
	e.str(m.StationID)
	e.str(m.JobID)
	e.u32(m.Attempt)
	e.bytes(m.MediaID)
	e.bytes(m.Sigma)
	encodeTitlePartials(e, m.TitlePartials)
	e.bytes(m.Signature)
}

func (m *KeyRequestMsg) decode(d *wdec) {
	m.StationID = d.id("station_id")
	m.JobID = d.id("job_id")
	m.Attempt = d.u32("attempt")
	m.MediaID = d.bytes("media_id", MaxMediaIDLen)
	m.Sigma = d.bytes("sigma", SigmaLen)
	m.TitlePartials = decodeTitlePartials(d)
	m.Signature = d.bytes("signature", MaxSignatureLen)
	if d.err == nil && len(m.MediaID) == 0 {
		d.fail("media_id", ErrFieldBadLength)
	}
	if d.err == nil && len(m.Sigma) != SigmaLen {
		d.fail("sigma", ErrFieldBadLength)
	}
}

// Statement returns the KeyRequest statement this message's signature
// covers on a channel with handshake hash hh and challenge c.
func (m *KeyRequestMsg) Statement(hh []byte, c *ChallengeMsg) *KeyRequest {
	return &KeyRequest{ChainID: c.ChainID, HandshakeHash: hh, ChallengeNonce: c.Nonce, NodeID: c.NodeID,
		ChallengeExpiry: c.Expiry, JobID: m.JobID, Attempt: m.Attempt, MediaID: m.MediaID, Sigma: m.Sigma, TitlePartials: m.TitlePartials}
}

// ShareReleaseMsg is message 9, node -> station: the copy's keys from this
// node, HPKE-sealed to the station's key-agreement key. It may exceed a
// frame and travel in Fragment frames.
type ShareReleaseMsg struct {
	JobID         string
	Attempt       uint32
	Sealed        []byte
	NodeSignature []byte // over the ShareRelease statement
}

// Type implements Message.
func (*ShareReleaseMsg) Type() MsgType { return MsgShareRelease }

func (m *ShareReleaseMsg) encode(e *wenc) {
	e.str(m.JobID)
	e.u32(m.Attempt)
	e.bytes32(m.Sealed)
	e.bytes(m.NodeSignature)
}

func (m *ShareReleaseMsg) decode(d *wdec) {
	m.JobID = d.id("job_id")
	m.Attempt = d.u32("attempt")
	m.Sealed = d.bytes32("sealed", MaxSealedLen)
	m.NodeSignature = d.bytes("node_signature", MaxSignatureLen)
}

// Statement returns the ShareRelease statement NodeSignature covers on
// chainID's network.
func (m *ShareReleaseMsg) Statement(chainID string, hh []byte) *ShareRelease {
	return &ShareRelease{ChainID: chainID, HandshakeHash: hh, JobID: m.JobID, Attempt: m.Attempt, Sealed: m.Sealed}
}

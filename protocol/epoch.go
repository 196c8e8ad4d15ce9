package protocol

// MsgEpoch (node -> station) carries the custody epoch in force: a node
// whose ledger has recorded a resharing sends it just before the
// KeyRelease that answers a CopyRequest, so the station learns the new
// group and roots from any node (docs/protocol.md, "Custody epochs"). At
// epoch 0 (the genesis custody) no node sends it, and nothing else in the
// conversation changes, so the version stays.
const MsgEpoch MsgType = 12

// Bounds of an epoch message.
const (
	// MaxEpochRecordLen bounds the record: the group (at most 256 nodes)
	// and 32 bytes per node per title.
	MaxEpochRecordLen = MaxSealedLen
	// EpochSigLen is the group signature on the record's label (a
	// compressed BLS12-381 G1 point).
	EpochSigLen = SigmaLen
)

// EpochMsg is the custody epoch record (custody.EpochRecord encoding) and
// the group's signature on its label. It needs no node signature: the
// station accepts it only if the signature verifies under the group key X
// it pinned at enrollment (custody.AcceptEpoch).
type EpochMsg struct {
	Record []byte
	Sig    []byte
}

// Type implements Message.
func (*EpochMsg) Type() MsgType { return MsgEpoch }

func (m *EpochMsg) encode(e *wenc) {
	e.bytes32(m.Record)
	e.bytes(m.Sig)
}

func (m *EpochMsg) decode(d *wdec) {
	m.Record = d.bytes32("record", MaxEpochRecordLen)
	m.Sig = d.fixedBytes("sig", EpochSigLen)
}

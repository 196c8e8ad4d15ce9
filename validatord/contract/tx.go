package contract

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"copystation/protocol"
)

// TxType names a transaction.
type TxType uint8

// Transaction types. Values are part of the ledger's history: never renumber.
const (
	TxAddIssuer     TxType = 1
	TxRegisterTitle TxType = 2
	TxEnrollStation TxType = 3
	TxRevokeStation TxType = 4
	TxMintToken     TxType = 5
	TxTransferToken TxType = 6
	TxSpend         TxType = 7
	TxReport        TxType = 8
	TxSetSpoilLimit TxType = 9
	TxEnrollPlayer  TxType = 10
	TxRevokePlayer  TxType = 11
)

// Limits on a transaction, checked before anything else is read.
const (
	// MaxTxBytes bounds every transaction (and the node's mempool and RPC
	// limits follow it). The largest is a registration with dealt shares:
	// n sealed blobs of custody.SealedSharesLen(S) = 64·S+115 bytes,
	// base64 in JSON, about (85·n + 35)·S bytes with the segment table —
	// 1,541,583 bytes for 4,096 segments and 4 nodes; 4,096 segments fit
	// up to 5 nodes, 2,300 up to 10 (docs/contract.md). A block (4 MiB by
	// CometBFT's default) holds one such transaction.
	MaxTxBytes   = 2 << 20
	MaxIDLen     = 128
	MaxNameLen   = 256
	MaxSegments  = 4096
	maxSigLen    = 80
	txMagic      = 0xC5
	txVersion    = 1
	txSignLabel  = "copystation ledger-tx"
	keyLenSEC1   = 65
	maxFieldSize = 16 << 10
)

// ErrBadTx is the error for bytes that are not a transaction.
var ErrBadTx = errors.New("not a valid transaction")

// Tx is the envelope of every transaction. Governance transactions are
// signed by Signer over SigningBytes and carry a growing Nonce. A spend or
// report carries the station's signed protocol statement in Body; Signer is
// the station's signing key and Sig its signature over the statement, and
// Nonce is zero.
type Tx struct {
	Type   TxType
	Signer []byte // SEC1 P-256 public key
	Nonce  uint64
	Body   []byte // JSON of the type's body struct
	Sig    []byte // ASN.1 DER ECDSA P-256
}

// Bodies of the transactions.
type (
	AddIssuerBody struct {
		Key  []byte `json:"key"`
		Name string `json:"name"`
	}
	RegisterTitleBody struct {
		Title Title `json:"title"` // Issuer and Height are set by the contract
		// Shares are the issuer's dealt title shares, node i's share vector
		// HPKE-sealed to node i's custody key (custody.Deal), one per
		// genesis custody node in order; with Title.ShareRoots.
		Shares [][]byte `json:"shares,omitempty"`
	}
	EnrollStationBody struct {
		SigningKey      []byte   `json:"signing_key"`
		KeyAgreementKey []byte   `json:"key_agreement_key"`
		Profiles        []uint16 `json:"profiles"`
		EvidenceDigest  []byte   `json:"evidence_digest"`
	}
	RevokeStationBody struct {
		Station string `json:"station"`
		Reason  string `json:"reason"`
	}
	MintTokenBody struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Owner []byte `json:"owner"`
	}
	TransferTokenBody struct {
		ID       string `json:"id"`
		NewOwner []byte `json:"new_owner"`
	}
	SpendBody struct {
		Request protocol.CopyRequest `json:"request"`
	}
	ReportBody struct {
		Report protocol.CopyReport `json:"report"`
	}
)

// SigningBytes is what a governance signer signs: a label, the chain ID (so
// a transaction can't be replayed on another network), type, signer, nonce
// and body.
func (t *Tx) SigningBytes(chainID string) []byte {
	var b []byte
	b = appendBytes(b, []byte(txSignLabel))
	b = appendBytes(b, []byte(chainID))
	b = append(b, byte(t.Type))
	b = appendBytes(b, t.Signer)
	b = binary.BigEndian.AppendUint64(b, t.Nonce)
	b = appendBytes(b, t.Body)
	return b
}

// errNotCanonical is the error for a body that decodes but is not the
// encoding NewSpendTx or NewReportTx would make of it.
var errNotCanonical = errors.New("the body is not the canonical JSON encoding of its statement (as NewSpendTx and NewReportTx make it)")

// statement is the signed protocol statement of a spend or report and the
// chain ID it names. Its body must be the one canonical encoding, so that a
// statement and its signature make exactly one transaction: the station
// signs the decoded statement, not the JSON, and without this anyone could
// re-encode a broadcast spend into a new transaction of the same statement.
func (t *Tx) statement() (protocol.Statement, string, error) {
	var st protocol.Statement
	var chainID string
	var canon []byte
	var err error
	switch t.Type {
	case TxSpend:
		var b SpendBody
		if err := json.Unmarshal(t.Body, &b); err != nil {
			return nil, "", err
		}
		st, chainID = &b.Request, b.Request.ChainID
		canon, err = json.Marshal(b)
	case TxReport:
		var b ReportBody
		if err := json.Unmarshal(t.Body, &b); err != nil {
			return nil, "", err
		}
		st, chainID = &b.Report, b.Report.ChainID
		canon, err = json.Marshal(b)
	default:
		return nil, "", nil
	}
	if err != nil || !bytes.Equal(canon, t.Body) {
		return nil, "", errNotCanonical
	}
	return st, chainID, nil
}

// StatementDigest names a spend's or report's statement: SHA-256 of its
// SigningBytes. It identifies the statement whatever transaction carries it.
func StatementDigest(st protocol.Statement) []byte {
	d := sha256.Sum256(st.SigningBytes())
	return d[:]
}

// Marshal encodes the envelope: magic, version, type, then the fields each
// prefixed with a 32-bit length.
func (t *Tx) Marshal() []byte {
	b := []byte{txMagic, txVersion, byte(t.Type)}
	b = appendBytes(b, t.Signer)
	b = binary.BigEndian.AppendUint64(b, t.Nonce)
	b = appendBytes(b, t.Body)
	b = appendBytes(b, t.Sig)
	return b
}

// Hash is the transaction's hash as CometBFT names it (SHA-256 of the bytes).
func Hash(tx []byte) []byte {
	h := sha256.Sum256(tx)
	return h[:]
}

// DecodeTx parses and bounds-checks an envelope. It does not verify the
// signature (VerifyTx does).
func DecodeTx(p []byte) (*Tx, error) {
	if len(p) > MaxTxBytes {
		return nil, fmt.Errorf("contract.DecodeTx: %w: %d bytes, limit %d", ErrBadTx, len(p), MaxTxBytes)
	}
	if len(p) < 3 || p[0] != txMagic || p[1] != txVersion {
		return nil, fmt.Errorf("contract.DecodeTx: %w: bad magic or version", ErrBadTx)
	}
	t := &Tx{Type: TxType(p[2])}
	r := reader{b: p[3:]}
	t.Signer = r.bytes(keyLenSEC1)
	t.Nonce = r.u64()
	t.Body = r.bytes(MaxTxBytes)
	t.Sig = r.bytes(maxSigLen)
	if r.err != nil {
		return nil, fmt.Errorf("contract.DecodeTx: %w: %v", ErrBadTx, r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("contract.DecodeTx: %w: %d trailing bytes", ErrBadTx, len(r.b))
	}
	return t, nil
}

// VerifyTx checks what needs no state: the type is known, the body decodes,
// and the signature verifies with the key the transaction presents.
func VerifyTx(t *Tx, chainID string) *refusal {
	_, r := verifyTx(t, chainID, nil)
	return r
}

// verifyTx is VerifyTx that also returns the decoded statement of a spend
// or report (nil for another type), so that its body is decoded once. A
// station statement own remembers as verified by this node's gateway is
// not verified again (nil: verify it).
func verifyTx(t *Tx, chainID string, own *ownChecks) (protocol.Statement, *refusal) {
	if (t.Type < TxAddIssuer || t.Type > TxRevokePlayer) && t.Type != TxOpenRequest && t.Type != TxAccuse && t.Type != TxUpdateRecord &&
		t.Type != TxRegisterOwner && t.Type != TxProposeValidator && t.Type != TxVoteValidator && t.Type != TxCustodyEpoch {
		return nil, refuse(CodeUnknownTxType, "type %d", t.Type)
	}
	if t.Type == TxRegisterOwner {
		return nil, verifyRegistration(t, chainID)
	}
	if st, stChain, err := t.statement(); err != nil {
		return nil, refuse(CodeBadEncoding, "body: %v", err)
	} else if st != nil {
		if t.Nonce != 0 {
			return nil, refuse(CodeBadEncoding, "a station statement carries no nonce")
		}
		if stChain != chainID {
			return nil, refuse(CodeWrongChain, "the statement names chain %q; this network is %q", stChain, chainID)
		}
		if err := own.verify(t.Signer, protocol.Digest(st), t.Sig, false); err != nil {
			return nil, refuse(CodeBadSignature, "station statement: %v", err)
		}
		return st, nil
	}
	if !json.Valid(t.Body) {
		return nil, refuse(CodeBadEncoding, "body is not JSON")
	}
	if err := protocol.Verify(t.Signer, signedTx{t, chainID}, t.Sig); err != nil {
		return nil, refuse(CodeBadSignature, "%v", err)
	}
	return nil, nil
}

// signedTx adapts a governance transaction to protocol.Statement so it is
// signed and verified exactly like the protocol's statements.
type signedTx struct {
	t       *Tx
	chainID string
}

func (s signedTx) SigningBytes() []byte { return s.t.SigningBytes(s.chainID) }

// NewTx builds and signs a governance transaction.
func NewTx(rnd io.Reader, signer crypto.Signer, signerPub []byte, chainID string, typ TxType, nonce uint64, body any) ([]byte, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("contract.NewTx: %w", err)
	}
	t := &Tx{Type: typ, Signer: signerPub, Nonce: nonce, Body: js}
	t.Sig, err = protocol.Sign(rnd, signer, signedTx{t, chainID})
	if err != nil {
		return nil, fmt.Errorf("contract.NewTx: %w", err)
	}
	return t.Marshal(), nil
}

// NewSpendTx wraps a station's signed copy request.
func NewSpendTx(stationKey []byte, req *protocol.CopyRequest, sig []byte) ([]byte, error) {
	js, err := json.Marshal(SpendBody{Request: *req})
	if err != nil {
		return nil, fmt.Errorf("contract.NewSpendTx: %w", err)
	}
	return (&Tx{Type: TxSpend, Signer: stationKey, Body: js, Sig: sig}).Marshal(), nil
}

// NewReportTx wraps a station's signed copy report.
func NewReportTx(stationKey []byte, rep *protocol.CopyReport, sig []byte) ([]byte, error) {
	js, err := json.Marshal(ReportBody{Report: *rep})
	if err != nil {
		return nil, fmt.Errorf("contract.NewReportTx: %w", err)
	}
	return (&Tx{Type: TxReport, Signer: stationKey, Body: js, Sig: sig}).Marshal(), nil
}

func appendBytes(b, p []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

// reader decodes length-prefixed fields, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u64() uint64 {
	p := r.take(8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (r *reader) bytes(limit int) []byte {
	p := r.take(4)
	if p == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(p)
	if uint64(n) > uint64(limit) {
		r.err = fmt.Errorf("field of %d bytes exceeds its limit of %d", n, limit)
		return nil
	}
	return r.take(int(n))
}

package contract

import (
	"encoding/binary"
	"encoding/json"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// execEnv is the context of one transaction in a block: only block data,
// never the local clock, so every node decides alike.
type execEnv struct {
	chainID  string
	height   int64
	time     int64 // block time, Unix seconds
	txHash   []byte
	verified *verifiedCache // nil: verify every transaction
	own      *ownChecks     // the statements this node's gateway verified (nil: none)
	// grantOwner is the key this transaction's customer grant verified
	// against in CheckTx (verifiedCache), nil if none (grantmemo.go).
	grantOwner []byte
	update     *abci.ValidatorUpdate    // set by a validator change that passed
	decoded    map[string]decodedRecord // nil: decode every read (decoded.go)
}

// exec runs one transaction. A refusal leaves the view unmerged; an error
// is a storage fault that must halt the node rather than diverge.
func (e *execEnv) exec(v *view, raw []byte) ([]byte, *refusal, error) {
	t, err := DecodeTx(raw)
	if err != nil {
		return nil, refuse(CodeBadEncoding, "%v", err), nil
	}
	st, grantOwner, verified := e.verified.lookup(e.txHash)
	e.grantOwner = grantOwner
	if !verified {
		var r *refusal
		if st, r = verifyTx(t, e.chainID, e.own); r != nil {
			return nil, r, nil
		}
	}
	switch t.Type {
	case TxSpend:
		return e.spend(v, t, st)
	case TxReport:
		r, err := e.report(v, t, st)
		return nil, r, err
	case TxRegisterOwner: // no nonce: a key registers once
		r, err := e.registerOwner(v, t)
		return nil, r, err
	}
	if r, err := e.checkNonce(v, t); r != nil || err != nil {
		return nil, r, err
	}
	var r *refusal
	switch t.Type {
	case TxAddIssuer:
		r, err = e.addIssuer(v, t)
	case TxRegisterTitle:
		r, err = e.registerTitle(v, t)
	case TxEnrollStation:
		r, err = e.enrollStation(v, t)
	case TxRevokeStation:
		r, err = e.revokeStation(v, t)
	case TxMintToken:
		r, err = e.mintToken(v, t)
	case TxTransferToken:
		r, err = e.transferToken(v, t)
	case TxSetSpoilLimit:
		r, err = e.setSpoilLimit(v, t)
	case TxEnrollPlayer:
		r, err = e.enrollPlayer(v, t)
	case TxRevokePlayer:
		r, err = e.revokePlayer(v, t)
	case TxOpenRequest:
		r, err = e.openRequest(v, t)
	case TxAccuse:
		r, err = e.accuse(v, t)
	case TxUpdateRecord:
		r, err = e.updateRecord(v, t)
	case TxProposeValidator:
		r, err = e.proposeValidator(v, t)
	case TxVoteValidator:
		r, err = e.voteValidator(v, t)
	case TxCustodyEpoch:
		r, err = e.custodyEpoch(v, t)
	}
	return nil, r, err
}

// checkNonce enforces replay protection for governance transactions: each
// (signer, nonce) pair is accepted once. Nonces need not arrive in order,
// so an issuer may broadcast many mints at once; the signer's highest nonce
// is kept for clients that count on from it.
func (e *execEnv) checkNonce(v *view, t *Tx) (*refusal, error) {
	id := protocol.KeyID(t.Signer)
	if t.Nonce == 0 {
		return refuse(CodeBadNonce, "nonce 0; nonces start at 1"), nil
	}
	used := keyNonceUsed(id, t.Nonce)
	if p, err := v.get(used); err != nil || p != nil {
		return refuse(CodeBadNonce, "nonce %d of %s was already used", t.Nonce, id), err
	}
	v.put(used, []byte{})
	p, err := v.get(keyNonce(id))
	if err != nil {
		return nil, err
	}
	if len(p) != 8 || binary.BigEndian.Uint64(p) < t.Nonce {
		v.put(keyNonce(id), binary.BigEndian.AppendUint64(nil, t.Nonce))
	}
	return nil, nil
}

func decodeBody(t *Tx, out any) *refusal {
	if err := json.Unmarshal(t.Body, out); err != nil {
		return refuse(CodeBadEncoding, "body: %v", err)
	}
	return nil
}

func (e *execEnv) requireOperator(v *view, t *Tx) (*refusal, error) {
	var op Operator
	found, err := v.getJSON(keyOperator(protocol.KeyID(t.Signer)), &op)
	if err != nil || !found {
		return refuse(CodeNotOperator, "signer %s", protocol.KeyID(t.Signer)), err
	}
	if op.Departed != 0 {
		return refuse(CodeNotOperator, "operator %s left the network at height %d", op.ID, op.Departed), nil
	}
	return nil, nil
}

func (e *execEnv) addIssuer(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b AddIssuerBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkKey("issuer key", b.Key); r != nil {
		return r, nil
	}
	if r := checkText("name", b.Name, MaxNameLen); r != nil {
		return r, nil
	}
	id := protocol.KeyID(b.Key)
	if p, err := v.get(keyIssuer(id)); err != nil || p != nil {
		return refuse(CodeIssuerExists, "issuer %s", id), err
	}
	return nil, v.putJSON(keyIssuer(id), Issuer{ID: id, Key: b.Key, Name: b.Name})
}

func (e *execEnv) registerTitle(v *view, t *Tx) (*refusal, error) {
	issuerID := protocol.KeyID(t.Signer)
	if p, err := v.get(keyIssuer(issuerID)); err != nil || p == nil {
		return refuse(CodeNotIssuer, "signer %s is not a registered issuer", issuerID), err
	}
	var b RegisterTitleBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	ti := b.Title
	if r := checkTitle(&ti); r != nil {
		return r, nil
	}
	if p, err := v.get(keyTitle(ti.ID)); err != nil || p != nil {
		return refuse(CodeTitleExists, "title %s", ti.ID), err
	}
	if r, err := checkDeal(v, &ti, b.Shares); r != nil || err != nil {
		return r, err
	}
	ti.Issuer, ti.Height = issuerID, e.height
	_, epoch, _, err := currentCustody(v)
	if err != nil {
		return nil, err
	}
	ti.Epoch = epoch
	for i, blob := range b.Shares {
		v.put(keyTitleShares(ti.ID, i), blob)
	}
	return nil, v.putJSON(keyTitle(ti.ID), ti)
}

func (e *execEnv) enrollStation(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b EnrollStationBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkKey("signing key", b.SigningKey); r != nil {
		return r, nil
	}
	if r := checkKey("key-agreement key", b.KeyAgreementKey); r != nil {
		return r, nil
	}
	if len(b.Profiles) == 0 || len(b.Profiles) > 16 || len(b.EvidenceDigest) > 64 {
		return refuse(CodeBadField, "profiles: %d (want 1 to 16), evidence digest %d bytes", len(b.Profiles), len(b.EvidenceDigest)), nil
	}
	id := protocol.KeyID(b.SigningKey)
	if p, err := v.get(keyStation(id)); err != nil || p != nil {
		return refuse(CodeStationExists, "station %s", id), err
	}
	profiles := slices.Clone(b.Profiles)
	slices.Sort(profiles)
	st := Station{
		ID: id, SigningKey: b.SigningKey, KeyAgreementKey: b.KeyAgreementKey,
		Profiles: slices.Compact(profiles), Status: StationActive,
		EvidenceDigest: b.EvidenceDigest, EnrolledBy: protocol.KeyID(t.Signer), EnrolledHeight: e.height,
	}
	return nil, v.putJSON(keyStation(id), st)
}

func (e *execEnv) revokeStation(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b RevokeStationBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkText("reason", b.Reason, MaxNameLen); r != nil {
		return r, nil
	}
	var st Station
	if found, err := v.getJSON(keyStation(b.Station), &st); err != nil || !found {
		return refuse(CodeUnknownStation, "station %q", b.Station), err
	}
	if st.Status == StationRevoked {
		return refuse(CodeStationRevoked, "station %s was revoked at height %d", st.ID, st.RevokedHeight), nil
	}
	st.Status, st.RevokedReason, st.RevokedHeight = StationRevoked, b.Reason, e.height
	return nil, v.putJSON(keyStation(st.ID), st)
}

func (e *execEnv) mintToken(v *view, t *Tx) (*refusal, error) {
	var b MintTokenBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkID("token ID", b.ID); r != nil {
		return r, nil
	}
	if r := checkKey("owner key", b.Owner); r != nil {
		return r, nil
	}
	var ti Title
	if found, err := v.getJSON(keyTitle(b.Title), &ti); err != nil || !found {
		return refuse(CodeUnknownTitle, "title %q", b.Title), err
	}
	if ti.Issuer != protocol.KeyID(t.Signer) {
		return refuse(CodeNotIssuer, "title %s belongs to issuer %s", ti.ID, ti.Issuer), nil
	}
	if p, err := v.get(keyToken(b.ID)); err != nil || p != nil {
		return refuse(CodeTokenExists, "token %s", b.ID), err
	}
	tok := Token{ID: b.ID, Title: ti.ID, Owner: b.Owner, OwnerID: protocol.KeyID(b.Owner), State: TokenUnspent, Height: e.height}
	indexToken(v, tok.OwnerID, tok.ID, tok.State)
	return nil, v.putJSON(keyToken(b.ID), tok)
}

func (e *execEnv) transferToken(v *view, t *Tx) (*refusal, error) {
	var b TransferTokenBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkKey("new owner key", b.NewOwner); r != nil {
		return r, nil
	}
	var tok Token
	if found, err := v.getJSON(keyToken(b.ID), &tok); err != nil || !found {
		return refuse(CodeUnknownToken, "token %q", b.ID), err
	}
	if tok.OwnerID != protocol.KeyID(t.Signer) {
		return refuse(CodeNotOwner, "token %s is owned by %s", tok.ID, tok.OwnerID), nil
	}
	if tok.State != TokenUnspent {
		return refuse(CodeTokenSpent, "token %s was spent by job %s", tok.ID, tok.Job), nil
	}
	from := tok.OwnerID
	tok.Owner, tok.OwnerID = b.NewOwner, protocol.KeyID(b.NewOwner)
	indexTransfer(v, from, tok.OwnerID, tok.ID, tok.State)
	return nil, v.putJSON(keyToken(tok.ID), tok)
}

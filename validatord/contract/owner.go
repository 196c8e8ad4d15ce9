package contract

import (
	"bytes"
	"crypto"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"copystation/protocol"
)

// TxRegisterOwner registers a pseudonymous owner identity: an owner key and
// the user ID derived from it (protocol.KeyID), with the key's proof of
// possession. Numbered apart from the others, like the tracing ones.
const TxRegisterOwner TxType = 23

// LabelOwnerRegistration starts the statement an owner key signs to
// register itself: the purpose, so the signature never verifies as any
// other statement.
const LabelOwnerRegistration = "copystation owner-registration"

// ownerRegistrationVersion is the statement's own version: the layout below.
const ownerRegistrationVersion uint16 = 1

// OwnerRegistration is the statement a registration's signature covers: the
// network (so a registration cannot be replayed on another chain) and the
// key itself (so nobody registers a key they cannot sign with).
type OwnerRegistration struct {
	ChainID string
	Key     []byte // uncompressed SEC1 P-256
}

// SigningBytes is the statement's encoding, hashed with SHA-256 and signed:
// label, version, chain ID and key, each string or byte field with a 4-byte
// big-endian length (docs/contract.md, "Owner registration").
func (o *OwnerRegistration) SigningBytes() []byte {
	b := appendBytes(nil, []byte(LabelOwnerRegistration))
	b = binary.BigEndian.AppendUint16(b, ownerRegistrationVersion)
	b = appendBytes(b, []byte(o.ChainID))
	return appendBytes(b, o.Key)
}

// RegisterOwnerBody is TxRegisterOwner's body, in its one canonical JSON
// encoding (`{"chain_id":"..."}`); the key is the envelope's Signer.
type RegisterOwnerBody struct {
	ChainID string `json:"chain_id"`
}

// Owner is a registered owner identity. ID is protocol.KeyID(Key): the
// lowercase hex of the first 16 bytes of SHA-256 over the 65-byte key.
type Owner struct {
	ID     string `json:"id"`
	Key    []byte `json:"key"`
	Height int64  `json:"height"` // the block that registered it
}

func keyOwner(id string) string { return "own/" + id }

// NewRegisterOwnerTx builds the registration of signer's key on a network.
func NewRegisterOwnerTx(rnd io.Reader, signer crypto.Signer, chainID string) ([]byte, error) {
	pub, err := protocol.SignerPublicKey(signer)
	if err != nil {
		return nil, fmt.Errorf("contract.NewRegisterOwnerTx: %w", err)
	}
	body, err := json.Marshal(RegisterOwnerBody{ChainID: chainID})
	if err != nil {
		return nil, fmt.Errorf("contract.NewRegisterOwnerTx: %w", err)
	}
	sig, err := protocol.Sign(rnd, signer, &OwnerRegistration{ChainID: chainID, Key: pub})
	if err != nil {
		return nil, fmt.Errorf("contract.NewRegisterOwnerTx: %w", err)
	}
	return (&Tx{Type: TxRegisterOwner, Signer: pub, Body: body, Sig: sig}).Marshal(), nil
}

// verifyRegistration is VerifyTx for TxRegisterOwner: what needs no state.
// Like a station's statement, the transaction carries no nonce: a key is
// registered once, so a replay on this chain is refused as owner-exists,
// and on another chain the statement names the wrong chain.
func verifyRegistration(t *Tx, chainID string) *refusal {
	if t.Nonce != 0 {
		return refuse(CodeBadEncoding, "an owner registration carries no nonce (got %d)", t.Nonce)
	}
	var b RegisterOwnerBody
	if err := json.Unmarshal(t.Body, &b); err != nil {
		return refuse(CodeBadEncoding, "registration body: %v", err)
	}
	if canon, err := json.Marshal(b); err != nil || !bytes.Equal(canon, t.Body) {
		return refuse(CodeBadEncoding, "registration body is not its canonical JSON {\"chain_id\":...}")
	}
	if b.ChainID != chainID {
		return refuse(CodeWrongChain, "the registration names chain %q; this network is %q", b.ChainID, chainID)
	}
	if _, err := protocol.ParsePublicKey(t.Signer); err != nil {
		return refuse(CodeBadOwnerKey, "owner key of %d bytes: %v", len(t.Signer), err)
	}
	if err := protocol.Verify(t.Signer, &OwnerRegistration{ChainID: chainID, Key: t.Signer}, t.Sig); err != nil {
		return refuse(CodeBadOwnerProof, "%v", err)
	}
	return nil
}

// registerOwner records a verified registration, once per key.
func (e *execEnv) registerOwner(v *view, t *Tx) (*refusal, error) {
	id := protocol.KeyID(t.Signer)
	if p, err := v.get(keyOwner(id)); err != nil || p != nil {
		return refuse(CodeOwnerExists, "owner %s", id), err
	}
	return nil, v.putJSON(keyOwner(id), Owner{ID: id, Key: t.Signer, Height: e.height})
}

// Owner returns a committed owner registration by user ID.
func (a *App) Owner(id string) (*Owner, error) {
	var o Owner
	return &o, wrapQuery("owner", id, a.committed(keyOwner(id), &o))
}

package ledger

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
	"copystation/validatord/contract"
)

// Backend carries signed transactions to a node and queries it: Local in
// process, Remote over CometBFT's RPC for the operator commands.
type Backend interface {
	// Submit sends a transaction and waits for its committed result.
	Submit(ctx context.Context, op string, tx []byte) (contract.TxResult, error)
	// Query reads committed state at a contract query path (see
	// contract.App.Query) into out; contract.ErrNotFound if absent.
	Query(ctx context.Context, path string, out any) error
	// ChainID names the network.
	ChainID(ctx context.Context) (string, error)
}

var _ Backend = (*Local)(nil)

// Query implements Backend.
func (l *Local) Query(ctx context.Context, path string, out any) error {
	r, err := l.node.App.Query(ctx, &abci.QueryRequest{Path: path})
	if err != nil {
		return fmt.Errorf("ledger.Query %s: %w", path, err)
	}
	return decodeQuery(path, r.Code, r.Log, r.Value, out)
}

// ChainID implements Backend.
func (l *Local) ChainID(context.Context) (string, error) { return l.node.ChainID, nil }

func decodeQuery(path string, code uint32, log string, value []byte, out any) error {
	switch contract.Code(code) {
	case contract.OK:
		return json.Unmarshal(value, out)
	case contract.CodeNotFound:
		return fmt.Errorf("ledger.Query %s: %w", path, contract.ErrNotFound)
	}
	return &RefusalError{Op: "ledger.Query " + path, Code: contract.Code(code), Log: log}
}

// Admin signs and submits governance transactions for one key: an
// operator's, an issuer's or a token owner's.
type Admin struct {
	b      Backend
	signer crypto.Signer
	pub    []byte
	rnd    io.Reader

	mu    sync.Mutex
	nonce uint64
}

// NewAdmin makes an Admin for an ECDSA P-256 signer. rnd may be nil
// (crypto/rand).
func NewAdmin(b Backend, signer crypto.Signer, rnd io.Reader) (*Admin, error) {
	pub, err := protocol.SignerPublicKey(signer)
	if err != nil {
		return nil, fmt.Errorf("ledger.NewAdmin: %w", err)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Admin{b: b, signer: signer, pub: pub, rnd: rnd}, nil
}

// PublicKey is the admin's SEC1 public key; ID its KeyID.
func (a *Admin) PublicKey() []byte { return a.pub }

// ID is the admin key's ledger ID.
func (a *Admin) ID() string { return protocol.KeyID(a.pub) }

// Do signs a governance transaction with the next nonce and waits for it.
func (a *Admin) Do(ctx context.Context, op string, typ contract.TxType, body any) (contract.TxResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.nonce == 0 {
		if err := a.b.Query(ctx, "/nonce/"+a.ID(), &a.nonce); err != nil {
			return contract.TxResult{}, fmt.Errorf("%s: nonce: %w", op, err)
		}
	}
	chainID, err := a.b.ChainID(ctx)
	if err != nil {
		return contract.TxResult{}, fmt.Errorf("%s: %w", op, err)
	}
	tx, err := contract.NewTx(a.rnd, a.signer, a.pub, chainID, typ, a.nonce+1, body)
	if err != nil {
		return contract.TxResult{}, fmt.Errorf("%s: %w", op, err)
	}
	r, err := a.b.Submit(ctx, op, tx)
	var ref *RefusalError
	if err == nil || errors.As(err, &ref) && ref.Code != contract.CodeBadNonce {
		a.nonce++ // committed, so the nonce is used even if refused
	} else {
		a.nonce = 0 // unknown: ask the ledger next time
	}
	return r, err
}

// AddIssuer registers an issuer (operator).
func (a *Admin) AddIssuer(ctx context.Context, key []byte, name string) error {
	_, err := a.Do(ctx, "ledger.AddIssuer", contract.TxAddIssuer, contract.AddIssuerBody{Key: key, Name: name})
	return err
}

// EnrollStation enrolls a station (operator) and returns its ID.
func (a *Admin) EnrollStation(ctx context.Context, signingKey, keyAgreementKey []byte, profiles []uint16, evidenceDigest []byte) (string, error) {
	_, err := a.Do(ctx, "ledger.EnrollStation", contract.TxEnrollStation, contract.EnrollStationBody{
		SigningKey: signingKey, KeyAgreementKey: keyAgreementKey, Profiles: profiles, EvidenceDigest: evidenceDigest})
	return protocol.KeyID(signingKey), err
}

// RevokeStation revokes a station (operator).
func (a *Admin) RevokeStation(ctx context.Context, id, reason string) error {
	_, err := a.Do(ctx, "ledger.RevokeStation", contract.TxRevokeStation, contract.RevokeStationBody{Station: id, Reason: reason})
	return err
}

// MintToken mints a token for a title (the title's issuer).
func (a *Admin) MintToken(ctx context.Context, id, title string, owner []byte) error {
	_, err := a.Do(ctx, "ledger.MintToken", contract.TxMintToken, contract.MintTokenBody{ID: id, Title: title, Owner: owner})
	return err
}

// TransferToken gives a token to a new owner (its owner).
func (a *Admin) TransferToken(ctx context.Context, id string, newOwner []byte) error {
	_, err := a.Do(ctx, "ledger.TransferToken", contract.TxTransferToken, contract.TransferTokenBody{ID: id, NewOwner: newOwner})
	return err
}

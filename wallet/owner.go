package wallet

import (
	"context"
	"errors"
	"fmt"
	"io"

	"copystation/validatord/contract"
)

// ErrAlreadyRegistered is returned by Register for a key the ledger has
// registered before: nothing to do.
var ErrAlreadyRegistered = errors.New("this owner key is already registered on the ledger")

// Register records this wallet's owner identity on the ledger (contract tx
// type 23): the key and its user ID, proved by a signature over the
// network's chain ID and the key. It returns the block height.
func (w *Wallet) Register(ctx context.Context, l Ledger, rnd io.Reader) (int64, error) {
	chainID, err := l.ChainID(ctx)
	if err != nil {
		return 0, fmt.Errorf("wallet.Register: %w", err)
	}
	tx, err := contract.NewRegisterOwnerTx(rnd, w.key, chainID)
	if err != nil {
		return 0, fmt.Errorf("wallet.Register: %w", err)
	}
	res, err := l.Submit(ctx, "wallet.Register", tx)
	if errors.Is(err, contract.CodeOwnerExists) {
		return 0, fmt.Errorf("wallet.Register %s: %w", w.OwnerID(), ErrAlreadyRegistered)
	}
	if err != nil {
		return 0, fmt.Errorf("wallet.Register: %w", err)
	}
	return res.Height, nil
}

// Registered reads this wallet's owner registration with its proof
// (contract.ErrNotFound if the key never registered).
func (w *Wallet) Registered(ctx context.Context, l Ledger) (*contract.Owner, error) {
	var o contract.Owner
	if _, err := l.Prove(ctx, "/owner/"+w.OwnerID(), &o); err != nil {
		return nil, fmt.Errorf("wallet.Registered: %w", err)
	}
	return &o, nil
}

// ErrIndex is the error for an owner index answer the token records do not
// bear out.
var ErrIndex = errors.New("the node's list of your tokens does not match the proved token records")

// Tokens lists the tokens this wallet holds, from the ledger's owner index
// (/tokens/owner/ID), each then read with its proof and checked to be this
// wallet's: the list comes from one node, the records are proved.
func (w *Wallet) Tokens(ctx context.Context, l Ledger) ([]*TokenView, error) {
	return OwnerTokens(ctx, l, w.OwnerID())
}

// OwnerTokens is Tokens for any owner ID (the wallet page's, whose key
// lives in the browser).
func OwnerTokens(ctx context.Context, l Ledger, ownerID string) ([]*TokenView, error) {
	var list []contract.Token
	if err := l.Query(ctx, "/tokens/owner/"+ownerID, &list); err != nil {
		return nil, fmt.Errorf("wallet.Tokens: %w", err)
	}
	out := make([]*TokenView, 0, len(list))
	for _, t := range list {
		var v TokenView
		p, err := l.Prove(ctx, "/token/"+t.ID, &v.Token)
		if err != nil {
			return nil, fmt.Errorf("wallet.Tokens %s: %w", t.ID, err)
		}
		if v.OwnerID != ownerID {
			return nil, fmt.Errorf("wallet.Tokens %s: %w: owned by %s", t.ID, ErrIndex, v.OwnerID)
		}
		v.Proved, v.Mine = p, true
		out = append(out, &v)
	}
	return out, nil
}

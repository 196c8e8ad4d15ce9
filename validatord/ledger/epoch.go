package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"copystation/custody"
	"copystation/validatord/contract"
)

// ErrEpochGroup: the ledger's custody epoch record does not check against
// the genesis group key, or disagrees with the custody set it commits; its
// group cannot check partials.
var ErrEpochGroup = errors.New("ledger: the custody epoch in force does not check against the genesis group key; ask another node, or the operators, which epoch is the network's")

// Epochs is the node's committed custody epoch as a key service follows it
// (keyservice.Service.Follow), for the operator commands that sign with
// the node's share outside the running node.
func (r *Remote) Epochs(ctx context.Context) *RemoteEpochs {
	return &RemoteEpochs{ctx: ctx, r: r}
}

// RemoteEpochs is a keyservice.EpochSource over a node's RPC.
type RemoteEpochs struct {
	ctx context.Context
	r   *Remote
}

// CustodyEpoch is the /custody-epoch record (contract.ErrNotFound at
// epoch 0).
func (e *RemoteEpochs) CustodyEpoch() (*contract.CustodyEpoch, error) {
	var ce contract.CustodyEpoch
	if err := e.r.Query(e.ctx, "/custody-epoch", &ce); err != nil {
		return nil, err
	}
	return &ce, nil
}

// CustodyGroup is the custody group partials are checked against now: the
// genesis group at epoch 0, else the group of the epoch in force, taken
// only through custody.AcceptEpoch against the genesis group key (the key
// never changes; the polynomial and so every node's public share do).
func (r *Remote) CustodyGroup(ctx context.Context) (*custody.Group, uint32, error) {
	const op = "ledger.CustodyGroup"
	var gen contract.Custody
	if err := r.Query(ctx, "/custody", &gen); err != nil {
		return nil, 0, fmt.Errorf("%s: genesis custody: %w", op, err)
	}
	var ce contract.CustodyEpoch
	err := r.Query(ctx, "/custody-epoch", &ce)
	if err != nil && !errors.Is(err, contract.ErrNotFound) {
		return nil, 0, fmt.Errorf("%s: custody epoch: %w", op, err)
	}
	var cep *contract.CustodyEpoch
	if err == nil {
		cep = &ce
	}
	chainID, err := r.ChainID(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	g, e, err := EpochGroup(&gen, chainID, cep)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	return g, e, nil
}

// EpochGroup is the group in force given the genesis custody and the
// committed epoch (nil at epoch 0): the epoch's record must pass
// custody.AcceptEpoch against the genesis group key, carry the epoch
// number the ledger files it under, and be the group of the custody set
// the ledger commits.
func EpochGroup(gen *contract.Custody, chainID string, ce *contract.CustodyEpoch) (*custody.Group, uint32, error) {
	g, err := custody.UnmarshalGroup(gen.Group)
	if err != nil {
		return nil, 0, fmt.Errorf("genesis custody group: %w", err)
	}
	if ce == nil {
		return g, 0, nil
	}
	var sig custody.Signature
	if len(ce.Sig) != len(sig) {
		return nil, 0, fmt.Errorf("%w: epoch %d: signature of %d bytes, want %d", ErrEpochGroup, ce.Epoch, len(ce.Sig), len(sig))
	}
	copy(sig[:], ce.Sig)
	rec, err := custody.AcceptEpoch(g, chainID, 0, ce.Record, sig)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrEpochGroup, err)
	}
	rg, err := rec.Group.MarshalBinary()
	if err != nil || rec.Epoch != ce.Epoch || !bytes.Equal(rg, ce.Custody.Group) {
		return nil, 0, fmt.Errorf("%w: the record is of epoch %d with another group than the ledger's epoch %d", ErrEpochGroup, rec.Epoch, ce.Epoch)
	}
	return rec.Group, rec.Epoch, nil
}

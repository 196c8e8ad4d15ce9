package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/types"
)

// ErrNotCommitted: the header a record was proved against is not signed
// by more than two thirds of the network's validators: the node answering
// is on a fork, or lying. Trust nothing it said.
var ErrNotCommitted = errors.New("the header is not committed by the network's validators")

// Trust is what a light-client check trusts: the network's chain ID and
// validator set, from a genesis file the verifier holds (the contract
// never changes validators, so genesis's set is the set).
type Trust struct {
	ChainID string
	Vals    *types.ValidatorSet
}

// TrustGenesis reads the trusted chain ID and validators from a genesis
// file.
func TrustGenesis(path string) (*Trust, error) {
	doc, err := types.GenesisDocFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger.TrustGenesis: %w", err)
	}
	vs := make([]*types.Validator, len(doc.Validators))
	for i, v := range doc.Validators {
		vs[i] = types.NewValidator(v.PubKey, v.Power)
	}
	return &Trust{ChainID: doc.ChainID, Vals: types.NewValidatorSet(vs)}, nil
}

// ProveLight is Prove with a light-client check: the record's proof is
// checked against the AppHash of a header whose commit carries the
// signatures of more than two thirds of the trusted validators' power,
// on this chain, for exactly this header. A node cannot pass it off a
// record of its own making.
func (r *Remote) ProveLight(ctx context.Context, tr *Trust, path string, out any) (*Proved, error) {
	p, err := r.Prove(ctx, path, out)
	if err != nil {
		return nil, err
	}
	for {
		c, err := r.c.Commit(ctx, &p.HeaderHeight)
		if err == nil && c.Commit != nil {
			if err := tr.check(c.SignedHeader, p.AppHash); err != nil {
				return nil, fmt.Errorf("ledger.ProveLight %s: %w", path, err)
			}
			return p, nil
		}
		select { // the header's commit arrives with the next block
		case <-ctx.Done():
			return nil, fmt.Errorf("ledger.ProveLight %s: commit of %d: %w (%v)", path, p.HeaderHeight, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// check verifies a signed header against the trust and that it commits to
// appHash (the one the record's proof was checked against).
func (tr *Trust) check(sh types.SignedHeader, appHash []byte) error {
	h := sh.Header
	switch {
	case h == nil || sh.Commit == nil:
		return fmt.Errorf("%w: no header or commit", ErrNotCommitted)
	case h.ChainID != tr.ChainID:
		return fmt.Errorf("%w: header of chain %q, trusted %q", ErrNotCommitted, h.ChainID, tr.ChainID)
	case !bytes.Equal(h.ValidatorsHash, tr.Vals.Hash()):
		return fmt.Errorf("%w: header names validators %X, trusted %X", ErrNotCommitted, h.ValidatorsHash, tr.Vals.Hash())
	case !bytes.Equal(h.Hash(), sh.Commit.BlockID.Hash):
		return fmt.Errorf("%w: the commit is for block %X, not this header %X", ErrNotCommitted, sh.Commit.BlockID.Hash, h.Hash())
	case !bytes.Equal(h.AppHash, appHash):
		return fmt.Errorf("%w: header's app hash %X, the proof's %X", ErrNotCommitted, h.AppHash, appHash)
	}
	if err := tr.Vals.VerifyCommitLight(tr.ChainID, sh.Commit.BlockID, h.Height, sh.Commit); err != nil {
		return fmt.Errorf("%w: %v", ErrNotCommitted, err)
	}
	return nil
}

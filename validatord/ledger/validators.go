package ledger

import (
	"context"

	"copystation/validatord/contract"
)

// ProposeValidator proposes a validator set change (an operator of a
// current validator); the proposer's approval is counted at once.
func (a *Admin) ProposeValidator(ctx context.Context, p contract.ProposeValidatorBody) error {
	_, err := a.Do(ctx, "ledger.ProposeValidator", contract.TxProposeValidator, p)
	return err
}

// VoteValidator approves an open validator set change (an operator of a
// current validator).
func (a *Admin) VoteValidator(ctx context.Context, id string) error {
	_, err := a.Do(ctx, "ledger.VoteValidator", contract.TxVoteValidator, contract.VoteValidatorBody{ID: id})
	return err
}

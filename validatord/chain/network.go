package chain

import (
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
)

// NetworkGenesis builds a multi-operator network's genesis from public
// parts only (the ceremony file and the DKG's group), so every node that
// runs it gets the same bytes: g.Time must be set.
func NetworkGenesis(g GenesisOptions, vals []types.GenesisValidator, cust *contract.Custody) ([]byte, error) {
	const op = "chain.NetworkGenesis"
	if g.Time.IsZero() {
		return nil, fmt.Errorf("%s: %w: no genesis time (it must come from the ceremony file)", op, ErrHome)
	}
	if g.MaxRetries == 0 {
		g.MaxRetries = 3
	}
	doc, err := genesisDoc(g, vals, cust)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	b, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return b, nil
}

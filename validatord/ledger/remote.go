package ledger

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"copystation/validatord/contract"
)

// Remote is a Backend over a node's CometBFT RPC (loopback or LAN), for
// the operator commands.
type Remote struct {
	c *rpchttp.HTTP
}

var _ Backend = (*Remote)(nil)

// Dial makes a Remote for an RPC address such as tcp://127.0.0.1:26657.
func Dial(addr string) (*Remote, error) {
	c, err := rpchttp.New(addr)
	if err != nil {
		return nil, fmt.Errorf("ledger.Dial %s: %w", addr, err)
	}
	return &Remote{c: c}, nil
}

// Submit implements Backend with broadcast_tx_commit, which waits for the
// block (up to the node's timeout_broadcast_tx_commit).
func (r *Remote) Submit(ctx context.Context, op string, tx []byte) (contract.TxResult, error) {
	res, err := r.c.BroadcastTxCommit(ctx, tx)
	if err != nil {
		if ref := checkTxRefusal(op, err); ref != nil {
			return contract.TxResult{}, ref
		}
		return contract.TxResult{}, fmt.Errorf("%s: %w: %v", op, ErrUnavailable, err)
	}
	if res.CheckTx.Code != uint32(contract.OK) {
		return contract.TxResult{}, &RefusalError{Op: op, Code: contract.Code(res.CheckTx.Code), Log: res.CheckTx.Log}
	}
	out := contract.TxResult{Hash: res.Hash, Height: res.Height, Code: contract.Code(res.TxResult.Code), Data: res.TxResult.Data, Log: res.TxResult.Log}
	if out.Code != contract.OK {
		return out, &RefusalError{Op: op, Code: out.Code, Log: out.Log}
	}
	return out, nil
}

// Query implements Backend.
func (r *Remote) Query(ctx context.Context, path string, out any) error {
	res, err := r.c.ABCIQuery(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("ledger.Query %s: %w: %v", path, ErrUnavailable, err)
	}
	return decodeQuery(path, res.Response.Code, res.Response.Log, res.Response.Value, out)
}

// ChainID implements Backend.
func (r *Remote) ChainID(ctx context.Context) (string, error) {
	st, err := r.c.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("ledger.ChainID: %w: %v", ErrUnavailable, err)
	}
	return st.NodeInfo.Network, nil
}

// invalidTx matches CometBFT's report of a CheckTx refusal as it comes
// through the RPC, where only its text survives (mempool.ErrInvalidTx).
var invalidTx = regexp.MustCompile(`is invalid: code=(\d{1,9}), data=[0-9A-Fa-f]*, log='(.*)', codespace=`)

// checkTxRefusal recovers the contract's refusal from an RPC error, or nil.
func checkTxRefusal(op string, err error) *RefusalError {
	m := invalidTx.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	code, _ := strconv.ParseUint(m[1], 10, 32)
	return &RefusalError{Op: op, Code: contract.Code(code), Log: m[2]}
}

package contract

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
)

// A proposer's block holds at most MaxBlockTxs transactions and, past its
// first transaction, at most MaxBlockTxBytes of them. CometBFT reaps up to
// the consensus limit (4 MB): after a stall, that is the whole backlog in
// one block of 30 or more parts, which every node must receive, check and
// execute before the propose timeout, on a busy machine often too late, so
// the round repeats with a larger block still. A bounded block keeps every
// round short and drains a backlog over several blocks. The bound is the
// proposer's choice, not a validity rule: ProcessProposal accepts larger
// blocks from other proposers, and no transaction is refused (the rest stay
// in the mempool for the next block). 256 KiB (about 570 spends, four
// block parts) also fits one 100 ms sample of CometBFT's per-peer send and
// receive limit (p2p send_rate and recv_rate, 5 MB/s: 512 KB a sample) with
// room for the mempool's gossip on the same connection; a block past that
// waits for the next sample at every hop.
const (
	MaxBlockTxs     = 1000
	MaxBlockTxBytes = 256 << 10
)

// PrepareProposal implements abci.Application: the first transactions
// CometBFT reaped, in its order, within the bounds above and its own.
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	limit := req.MaxTxBytes
	var total int64
	txs := make([][]byte, 0, min(len(req.Txs), MaxBlockTxs))
	for _, tx := range req.Txs {
		n := int64(len(tx))
		if len(txs) == MaxBlockTxs || total+n > limit || (len(txs) > 0 && total+n > MaxBlockTxBytes) {
			break
		}
		total += n
		txs = append(txs, tx)
	}
	return &abci.PrepareProposalResponse{Txs: txs}, nil
}

package contract

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

func TestPrepareProposalBounds(t *testing.T) {
	txs := func(n, size int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = make([]byte, size)
		}
		return out
	}
	tests := []struct {
		name     string
		txs      [][]byte
		maxBytes int64
		want     int
	}{
		{name: "a backlog of small transactions", txs: txs(3000, 200), maxBytes: 4 << 20, want: MaxBlockTxs},
		{name: "under the bounds", txs: txs(300, 450), maxBytes: 4 << 20, want: 300},
		{name: "large transactions", txs: txs(10, 100<<10), maxBytes: 4 << 20, want: 2},
		{name: "a backlog of spends", txs: txs(3000, 450), maxBytes: 4 << 20, want: MaxBlockTxBytes / 450},
		{name: "one transaction over the byte bound", txs: txs(3, MaxTxBytes), maxBytes: 4 << 20, want: 1},
		{name: "CometBFT's own limit", txs: txs(300, 450), maxBytes: 450 * 10, want: 10},
		{name: "empty", txs: nil, maxBytes: 4 << 20, want: 0},
	}
	var a App
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := a.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: tt.txs, MaxTxBytes: tt.maxBytes})
			if err != nil {
				t.Fatalf("PrepareProposal() = %v", err)
			}
			if len(resp.Txs) != tt.want {
				t.Fatalf("PrepareProposal(%d txs) kept %d, want %d", len(tt.txs), len(resp.Txs), tt.want)
			}
			for i := range resp.Txs { // a prefix, in CometBFT's order
				if &resp.Txs[i][0] != &tt.txs[i][0] {
					t.Fatalf("PrepareProposal() tx %d is not the reaped tx %d", i, i)
				}
			}
		})
	}
}

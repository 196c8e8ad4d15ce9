package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"copystation/validatord/contract"
)

// proofClient is the part of CometBFT's client a proof needs; the local
// and HTTP clients both have it.
type proofClient interface {
	rpcclient.ABCIClient
	rpcclient.SignClient
}

// Proved is a record proved against a block header.
type Proved struct {
	Proof *contract.Proof
	// Height is the block that wrote the record; HeaderHeight the header
	// whose AppHash the proof was checked against (Height+1).
	Height, HeaderHeight int64
	AppHash              []byte
}

// Prove reads a record (/token/ID, /station/ID, /title/ID, /copy/JOB) with
// its inclusion proof, fetches the header that commits to it, and checks
// the proof against that header's AppHash, waiting up to the context's
// deadline for the header to exist.
func prove(ctx context.Context, c proofClient, path string, out any) (*Proved, error) {
	key, ok := contract.StateKey(path)
	if !ok {
		return nil, fmt.Errorf("ledger.Prove: %s is not a single record", path)
	}
	r, err := c.ABCIQueryWithOptions(ctx, path, nil, rpcclient.ABCIQueryOptions{Prove: true})
	if err != nil {
		return nil, fmt.Errorf("ledger.Prove %s: %w: %v", path, ErrUnavailable, err)
	}
	res := r.Response
	if err := decodeQuery(path, res.Code, res.Log, res.Value, out); err != nil {
		return nil, err
	}
	if res.ProofOps == nil || len(res.ProofOps.Ops) != 1 || res.ProofOps.Ops[0].Type != contract.ProofOpType {
		return nil, fmt.Errorf("ledger.Prove %s: the node sent no proof", path)
	}
	var p contract.Proof
	if err := json.Unmarshal(res.ProofOps.Ops[0].Data, &p); err != nil {
		return nil, fmt.Errorf("ledger.Prove %s: %w", path, err)
	}
	hh := p.Height + 1
	for {
		h, err := c.Header(ctx, &hh)
		if err == nil {
			if err := p.Verify(h.Header.AppHash, key, res.Value); err != nil {
				return nil, err
			}
			return &Proved{Proof: &p, Height: p.Height, HeaderHeight: hh, AppHash: h.Header.AppHash}, nil
		}
		select { // the header after the write may not be made yet
		case <-ctx.Done():
			return nil, fmt.Errorf("ledger.Prove %s: header %d: %w (%v)", path, hh, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Prove implements a proved read for the in-process node.
func (l *Local) Prove(ctx context.Context, path string, out any) (*Proved, error) {
	return prove(ctx, l.node.Client, path, out)
}

// Prove implements a proved read over RPC.
func (r *Remote) Prove(ctx context.Context, path string, out any) (*Proved, error) {
	return prove(ctx, r.c, path, out)
}

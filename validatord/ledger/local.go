package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
)

// Local is the Ledger of one in-process node.
type Local struct {
	node   *chain.Node
	gather *gatherer // nil: every statement is its own transaction
}

var _ Ledger = (*Local)(nil)

// NewLocal serves the Ledger API from a running node.
func NewLocal(n *chain.Node) *Local { return NewLocalGather(n, DefaultGatherWindow) }

// NewLocalGather is NewLocal with the window a station's spend or report
// waits for others to share its batch (contract.TxBatch); zero or less
// sends each as its own transaction.
func NewLocalGather(n *chain.Node, window time.Duration) *Local {
	l := &Local{node: n}
	if window > 0 {
		l.gather = &gatherer{node: n, window: window}
	}
	return l
}

// Node is the node this ledger runs on.
func (l *Local) Node() *chain.Node { return l.node }

// Submit broadcasts a transaction through the node's mempool and waits for
// its committed result. A transaction the mempool has already seen is not
// sent twice; its committed result is returned when it comes.
func (l *Local) Submit(ctx context.Context, op string, tx []byte) (contract.TxResult, error) {
	ch, stop := l.node.App.Watch(contract.Hash(tx))
	defer stop()
	res, err := l.node.Client.BroadcastTxSync(ctx, tx)
	if err := admitted(op, res, err); err != nil {
		return contract.TxResult{}, err
	}
	select {
	case r := <-ch:
		return settled(op, r)
	case <-ctx.Done():
		return contract.TxResult{}, fmt.Errorf("%s: %w (%v)", op, ErrNotFinal, ctx.Err())
	}
}

// admitted is the mempool's answer to a broadcast as an error: nil if the
// transaction is in the mempool (or was already: its result will come), a
// RefusalError if CheckTx refused it, ErrUnavailable otherwise (a full
// mempool, a stopping node).
func admitted(op string, res *coretypes.ResultBroadcastTx, err error) error {
	var invalid mempool.ErrInvalidTx
	switch {
	case errors.As(err, &invalid):
		return &RefusalError{Op: op, Code: contract.Code(invalid.Code), Log: invalid.Log}
	case errors.Is(err, mempool.ErrTxInCache):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w: %v", op, ErrUnavailable, err)
	case res.Code != uint32(contract.OK):
		return &RefusalError{Op: op, Code: contract.Code(res.Code), Log: res.Log}
	}
	return nil
}

// settled is a committed result as Submit returns it: a refusal is an error.
func settled(op string, r contract.TxResult) (contract.TxResult, error) {
	if r.Code != contract.OK {
		return r, &RefusalError{Op: op, Code: r.Code, Log: r.Log}
	}
	return r, nil
}

// submitStatement submits a station's spend or report: checked here first
// as the mempool would (a refusal comes back at once), then sent in the
// next batch, and its committed result awaited.
func (l *Local) submitStatement(ctx context.Context, op string, tx []byte) (contract.TxResult, error) {
	if l.gather == nil {
		return l.Submit(ctx, op, tx)
	}
	ch, stop := l.node.App.Watch(contract.Hash(tx))
	defer stop()
	select {
	case r := <-ch: // committed before: a retry of a statement
		return settled(op, r)
	default:
	}
	res, err := l.node.App.CheckTx(ctx, &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		return contract.TxResult{}, fmt.Errorf("%s: %w: %v", op, ErrUnavailable, err)
	}
	if res.Code != uint32(contract.OK) {
		return contract.TxResult{}, &RefusalError{Op: op, Code: contract.Code(res.Code), Log: res.Log}
	}
	sent := l.gather.add(tx)
	for {
		select {
		case err := <-sent:
			if err != nil {
				var refused *RefusalError // shared by the batch's submitters
				if errors.As(err, &refused) {
					return contract.TxResult{}, &RefusalError{Op: op, Code: refused.Code, Log: refused.Log}
				}
				return contract.TxResult{}, fmt.Errorf("%s: %w", op, err)
			}
			sent = nil
		case r := <-ch:
			return settled(op, r)
		case <-ctx.Done():
			return contract.TxResult{}, fmt.Errorf("%s: %w (%v)", op, ErrNotFinal, ctx.Err())
		}
	}
}

// Spend implements Ledger.
func (l *Local) Spend(ctx context.Context, stationKey []byte, req *protocol.CopyRequest, sig []byte) (Receipt, error) {
	tx, err := contract.NewSpendTx(stationKey, req, sig)
	if err != nil {
		return Receipt{}, err
	}
	r, err := l.submitStatement(ctx, "ledger.Spend", tx)
	if err != nil {
		return Receipt{}, err
	}
	var rc Receipt
	if err := json.Unmarshal(r.Data, &rc); err != nil {
		return Receipt{}, fmt.Errorf("ledger.Spend: receipt: %w", err)
	}
	return rc, nil
}

// Report implements Ledger.
func (l *Local) Report(ctx context.Context, stationKey []byte, rep *protocol.CopyReport, sig []byte) (Receipt, error) {
	tx, err := contract.NewReportTx(stationKey, rep, sig)
	if err != nil {
		return Receipt{}, err
	}
	r, err := l.submitStatement(ctx, "ledger.Report", tx)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Height: r.Height, TxHash: r.Hash}, nil
}

// VerifyStatement verifies a station's statement for this node's gateway
// and remembers it, so that Spend's or Report's check of the transaction
// carrying it is not a second verification (contract.App.VerifyStatement).
func (l *Local) VerifyStatement(pub []byte, st protocol.Statement, sig []byte) error {
	return l.node.App.VerifyStatement(pub, st, sig)
}

// Station implements Ledger.
func (l *Local) Station(_ context.Context, id string) (*contract.Station, error) {
	st, err := l.node.App.Station(id)
	if errors.Is(err, contract.ErrNotFound) {
		return nil, fmt.Errorf("ledger.Station: %s: %w", id, ErrStationNotFound)
	}
	return st, err
}

// NextCommit implements Ledger.
func (l *Local) NextCommit() <-chan struct{} { return l.node.App.NextCommit() }

// Copy implements Ledger.
func (l *Local) Copy(_ context.Context, jobID string) (*contract.Copy, error) {
	c, err := l.node.App.Copy(jobID)
	if errors.Is(err, contract.ErrNotFound) {
		return nil, fmt.Errorf("ledger.Copy: %s: %w", jobID, ErrCopyNotFound)
	}
	return c, err
}

// pendingCopy reads, from committed state only, the copy of info.JobID and
// checks it is this station's and pending on info.MediaID: so a release
// follows a spend that is final, never one merely proposed.
func (l *Local) pendingCopy(op, stationID string, info keys.Info) (*contract.Title, *contract.Station, *contract.Copy, error) {
	app := l.node.App
	c, err := app.Copy(info.JobID)
	if errors.Is(err, contract.ErrNotFound) {
		return nil, nil, nil, &RefusalError{Op: op, Code: contract.CodeUnknownCopy, Log: "no committed spend for job " + info.JobID}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	if c.Station != stationID {
		return nil, nil, nil, &RefusalError{Op: op, Code: contract.CodeJobConflict, Log: fmt.Sprintf("job %s belongs to station %s", c.JobID, c.Station)}
	}
	cur := c.Current()
	switch {
	case cur.Outcome == contract.OutcomeMade:
		return nil, nil, nil, &RefusalError{Op: op, Code: contract.CodeCopyMade, Log: "job " + c.JobID + " was made"}
	case !bytes.Equal(cur.MediaID, info.MediaID):
		return nil, nil, nil, &RefusalError{Op: op, Code: contract.CodeReportMismatch, Log: fmt.Sprintf("job %s is authorised for media %x", c.JobID, cur.MediaID)}
	case cur.Outcome != contract.OutcomePending:
		return nil, nil, nil, &RefusalError{Op: op, Code: contract.CodeAlreadyReported, Log: "job " + c.JobID + " attempt was reported " + cur.Outcome + "; spend again to retry"}
	}
	st, err := app.Station(stationID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	if st.Status != contract.StationActive {
		return nil, nil, nil, &RefusalError{Op: op, Code: contract.CodeStationRevoked, Log: "station " + st.ID + " is revoked"}
	}
	t, err := app.Title(c.Title)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return t, st, c, nil
}

// ReleasePartial implements Ledger: round 1, this node's partial signature
// on the copy label.
func (l *Local) ReleasePartial(_ context.Context, stationID string, info keys.Info) (*Release, error) {
	const op = "ledger.ReleasePartial"
	t, st, c, err := l.pendingCopy(op, stationID, info)
	if err != nil {
		return nil, err
	}
	cur := c.Current()
	params, err := l.node.App.Params()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	revoked, err := l.node.App.RevokedPlayers(params.Players().ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sealed, format, err := l.node.Keys.Partial(t, st, c, info, revoked.At(cur.Height))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var tps []keyservice.TitlePartial
	if t.Tracing != nil && len(t.ShareRoots) > 0 {
		cust, _, err := l.node.App.CurrentCustody()
		if err != nil {
			return nil, fmt.Errorf("%s: custody: %w", op, err)
		}
		if tps, err = l.node.Keys.TitlePartials(l.node.Custodian, cust, t); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	rel := &Release{Sealed: sealed, Format: format, Spend: Receipt{Height: cur.Height, TxHash: cur.TxHash, Attempt: c.Retries()}, TitlePartials: tps}
	if ce, err := l.node.App.CustodyEpoch(); err == nil {
		rel.EpochRecord, rel.EpochSig = ce.Record, ce.Sig
	} else if !errors.Is(err, contract.ErrNotFound) {
		return nil, fmt.Errorf("%s: custody epoch: %w", op, err)
	}
	return rel, nil
}

// ReleaseKeys implements Ledger: round 2, for the pending attempt named and
// the copy's group signature.
func (l *Local) ReleaseKeys(_ context.Context, stationID string, attempt uint32, sigma []byte, info keys.Info, titlePartials []keyservice.TitlePartial) (*Release, error) {
	const op = "ledger.ReleaseKeys"
	t, st, c, err := l.pendingCopy(op, stationID, info)
	if err != nil {
		return nil, err
	}
	if attempt != uint32(c.Retries()) {
		return nil, &RefusalError{Op: op, Code: contract.CodeAttemptMismatch, Log: fmt.Sprintf("job %s has attempt %d pending, not %d", c.JobID, c.Retries(), attempt)}
	}
	sig, err := l.node.Keys.CheckSigma(c, sigma)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// The node releases its shares of the title for the codeword, the
	// station combines t nodes'; no node has the title's keys to send.
	sealed, format, err := l.node.Keys.ReleaseShares(l.node.Custodian, l.node.App, t, st, c, info, sig, titlePartials)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cur := c.Current()
	return &Release{Sealed: sealed, Format: format, Spend: Receipt{Height: cur.Height, TxHash: cur.TxHash, Attempt: c.Retries()}}, nil
}

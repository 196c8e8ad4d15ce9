package contract

import (
	"errors"
	"fmt"
)

// TxBatch carries several stations' spends and reports in one CometBFT
// transaction (docs/contract.md, "Batches"). A node's ledger gathers the
// statements its gateway submits over a few milliseconds into one batch, so
// that CometBFT's work for each transaction (the mempool's check and
// gossip to every peer, its update after the block) is done once for many
// spends. The batch is an unsigned envelope: every statement in it is the
// whole transaction NewSpendTx or NewReportTx makes, signed by its station,
// checked and executed exactly as if it had been sent alone, with its own
// result under its own hash. Who gathered them is not trusted with
// anything: a batch only saves work.
const TxBatch TxType = 27

// MaxBatchTxs bounds the statements in one batch.
const MaxBatchTxs = 256

// errBatch is the error for a batch envelope that breaks its rules.
var errBatch = errors.New("not a valid batch")

// NewBatchTx wraps station statements (spend and report transactions, as
// NewSpendTx and NewReportTx make them) in one batch transaction.
func NewBatchTx(txs [][]byte) ([]byte, error) {
	if len(txs) == 0 || len(txs) > MaxBatchTxs {
		return nil, fmt.Errorf("contract.NewBatchTx: %w: %d transactions, allowed 1 to %d", errBatch, len(txs), MaxBatchTxs)
	}
	n := 0
	for _, tx := range txs {
		n += 4 + len(tx)
	}
	body := make([]byte, 0, n)
	for _, tx := range txs {
		body = appendBytes(body, tx)
	}
	b := (&Tx{Type: TxBatch, Body: body}).Marshal()
	if len(b) > MaxTxBytes {
		return nil, fmt.Errorf("contract.NewBatchTx: %w: %d bytes, limit %d", errBatch, len(b), MaxTxBytes)
	}
	return b, nil
}

// batchTxs returns the statements of a batch: its signer, nonce and
// signature are empty, it holds 1 to MaxBatchTxs transactions, and each is
// a spend or a report (never another batch, never a governance
// transaction, whose nonce and signer rules are not a station's). Each
// statement's own signature is not checked here. The result depends on the
// bytes alone, so every node decides a batch alike.
func batchTxs(t *Tx) ([][]byte, error) {
	if len(t.Signer) != 0 || t.Nonce != 0 || len(t.Sig) != 0 {
		return nil, fmt.Errorf("%w: a batch has no signer, nonce or signature of its own", errBatch)
	}
	r := reader{b: t.Body}
	var txs [][]byte
	for len(r.b) > 0 && r.err == nil {
		if len(txs) == MaxBatchTxs {
			return nil, fmt.Errorf("%w: more than %d transactions", errBatch, MaxBatchTxs)
		}
		p := r.bytes(MaxTxBytes)
		if r.err != nil {
			break
		}
		if len(p) < 3 || p[0] != txMagic || p[1] != txVersion || (TxType(p[2]) != TxSpend && TxType(p[2]) != TxReport) {
			return nil, fmt.Errorf("%w: transaction %d is not a spend or a report", errBatch, len(txs))
		}
		txs = append(txs, p)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: transaction %d: %v", errBatch, len(txs), r.err)
	}
	if len(txs) == 0 {
		return nil, fmt.Errorf("%w: it holds no transaction", errBatch)
	}
	return txs, nil
}

// checkBatch is CheckTx for a batch: every statement passes the stateless
// checks a lone one would and appears once, or the batch is refused whole (the node that
// gathered it checked each one first, and the checks depend on the bytes
// alone, so an honest batch is never refused). A statement already
// verified here (its gatherer's own node) is not verified again.
func (a *App) checkBatch(t *Tx, chainID string) *refusal {
	txs, err := batchTxs(t)
	if err != nil {
		return refuse(CodeBadEncoding, "%v", err)
	}
	seen := make(map[[32]byte]int, len(txs))
	for i, raw := range txs {
		h := Hash(raw)
		// The same statement twice in one batch would execute twice for
		// one check: the second only as a repeat, but a batch of copies of
		// one statement would cost every node many executions.
		if j, ok := seen[[32]byte(h)]; ok {
			return refuse(CodeBadEncoding, "batch transactions %d and %d are the same statement", j, i)
		}
		seen[[32]byte(h)] = i
		if _, _, ok := a.verified.lookup(h); ok {
			continue
		}
		it, err := DecodeTx(raw)
		if err != nil {
			return refuse(CodeBadEncoding, "batch transaction %d: %v", i, err)
		}
		st, r := verifyTx(it, chainID, a.own)
		if r != nil {
			r.detail = fmt.Sprintf("batch transaction %d: %s", i, r.detail)
			return r
		}
		a.verified.add(h, st, a.grantOwner(st))
		yieldAfterVerify()
	}
	return nil
}

// batchOf returns the statements of raw if it is a batch (nil, nil if it is
// not), or the refusal of a malformed batch, which executes none of them.
func batchOf(raw []byte) ([][]byte, *refusal) {
	if len(raw) < 3 || TxType(raw[2]) != TxBatch {
		return nil, nil
	}
	txs, err := BatchStatements(raw)
	if err != nil {
		return nil, refuse(CodeBadEncoding, "%v", err)
	}
	return txs, nil
}

// BatchStatements returns the spends and reports a batch transaction
// carries, in the order they execute, or why raw is not a valid batch.
func BatchStatements(raw []byte) ([][]byte, error) {
	t, err := DecodeTx(raw)
	if err != nil {
		return nil, err
	}
	if t.Type != TxBatch {
		return nil, fmt.Errorf("%w: type %d", errBatch, t.Type)
	}
	return batchTxs(t)
}

package ledger

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"copystation/validatord/chain"
	"copystation/validatord/contract"
)

// Gathering bounds: a batch is sent when it holds gatherMaxTxs statements
// or gatherMaxBytes, or when its first statement has waited the window.
const (
	gatherMaxTxs   = 64
	gatherMaxBytes = 64 << 10
	// DefaultGatherWindow is how long a node holds a station's statement
	// for others to share its batch: at 2,000 spends a second over four
	// nodes, 6.7 a batch (BenchmarkSpend4NodesGather), for at most 10 ms
	// of a spend's latency, whose block takes 60 to 130 ms at that rate.
	DefaultGatherWindow = 10 * time.Millisecond
)

// gatherer sends the station statements a node's gateway submits in
// batches (contract.TxBatch).
type gatherer struct {
	node   *chain.Node
	window time.Duration
	mu     sync.Mutex
	q      []gathered
	bytes  int
	timer  *time.Timer
}

// gathered is a statement waiting for its batch, and where to report
// whether the batch reached the mempool: one channel for each submitter of
// the same bytes (a station retrying at once), since a batch holds a
// statement once.
type gathered struct {
	tx   []byte
	sent []chan error
}

// report tells every submitter of x whether its batch was sent.
func (x gathered) report(err error) {
	for _, c := range x.sent {
		c <- err
	}
}

// add queues tx; the channel receives nil once its batch is in the mempool,
// or why it is not.
func (g *gatherer) add(tx []byte) <-chan error {
	sent := make(chan error, 1)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.q {
		if bytes.Equal(g.q[i].tx, tx) {
			g.q[i].sent = append(g.q[i].sent, sent)
			return sent
		}
	}
	g.q = append(g.q, gathered{tx: tx, sent: []chan error{sent}})
	g.bytes += len(tx)
	switch {
	case len(g.q) >= gatherMaxTxs || g.bytes >= gatherMaxBytes:
		if g.timer != nil {
			g.timer.Stop()
			g.timer = nil
		}
		q := g.take()
		go g.send(q)
	case len(g.q) == 1:
		g.timer = time.AfterFunc(g.window, g.flush)
	}
	return sent
}

// take empties the queue (under mu).
func (g *gatherer) take() []gathered {
	q := g.q
	g.q, g.bytes = nil, 0
	return q
}

func (g *gatherer) flush() {
	g.mu.Lock()
	q := g.take()
	g.timer = nil
	g.mu.Unlock()
	if len(q) > 0 {
		g.send(q)
	}
}

// send broadcasts one batch (a lone statement as itself). A batch the
// mempool refuses is sent again statement by statement, so each gets its
// own verdict: its gatherer checked each one, so that is a fault, not a
// station's.
func (g *gatherer) send(q []gathered) {
	if len(q) == 1 {
		q[0].report(g.broadcast(q[0].tx))
		return
	}
	txs := make([][]byte, len(q))
	for i := range q {
		txs[i] = q[i].tx
	}
	batch, err := contract.NewBatchTx(txs)
	if err == nil {
		err = g.broadcast(batch)
	}
	var refused *RefusalError
	if errors.As(err, &refused) {
		for _, x := range q {
			x.report(g.broadcast(x.tx))
		}
		return
	}
	for _, x := range q {
		x.report(err)
	}
}

// broadcast puts one transaction in the node's mempool (admitted).
func (g *gatherer) broadcast(tx []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := g.node.Client.BroadcastTxSync(ctx, tx)
	return admitted("batch", res, err)
}

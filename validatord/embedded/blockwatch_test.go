package embedded

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
)

// blockWatch follows one node's committed blocks and round steps over its
// RPC websocket (tm.event='NewBlock' and 'NewRoundStep'). A spend sent to
// the node learns its result from the node's event for the block that
// holds it, as the gateway in process learns it from contract.App.Watch.
type blockWatch struct {
	node    int
	mu      sync.Mutex
	waiting map[string]chan committed // by transaction hash (contract.Hash)
	late    map[int64]bool            // heights committed in a round after the first
	height  atomic.Int64              // the last block received
	lost    atomic.Int64              // heights whose event never came
	done    chan struct{}
	wg      sync.WaitGroup
}

// committed is a transaction's result in the block that holds it.
type committed struct {
	height int64
	code   uint32
	log    string
}

// eventBuffer is how many events the websocket client holds for the
// reader; it drops an event when full, which blockWatch counts as lost.
const eventBuffer = 4096

// watchBlocks subscribes to node i's blocks and round steps; the steps go
// into steps, timed when this process receives them.
func watchBlocks(ctx context.Context, i int, c *rpchttp.HTTP, steps *stepTimeline) (*blockWatch, error) {
	blocks, err := c.Subscribe(ctx, "bench", types.EventQueryNewBlock.String(), eventBuffer)
	if err != nil {
		return nil, fmt.Errorf("subscribe to blocks: %w", err)
	}
	rounds, err := c.Subscribe(ctx, "bench", types.EventQueryNewRoundStep.String(), eventBuffer)
	if err != nil {
		return nil, fmt.Errorf("subscribe to round steps: %w", err)
	}
	w := &blockWatch{node: i, waiting: map[string]chan committed{}, late: map[int64]bool{}, done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			select {
			case ev := <-blocks:
				if d, ok := ev.Data.(types.EventDataNewBlock); ok && d.Block != nil {
					w.onBlock(d)
				}
			case ev := <-rounds:
				if rs, ok := ev.Data.(types.EventDataRoundState); ok {
					now := time.Now()
					k := stepKey{i, rs.Height, rs.Step}
					steps.mu.Lock()
					if _, seen := steps.at[k]; !seen {
						steps.at[k] = now
					}
					steps.mu.Unlock()
				}
			case <-w.done:
				return
			}
		}
	}()
	return w, nil
}

func (w *blockWatch) onBlock(d types.EventDataNewBlock) {
	h := d.Block.Height
	if prev := w.height.Load(); prev != 0 && h > prev+1 {
		w.lost.Add(h - prev - 1)
	}
	w.height.Store(h)
	hashes := make([]string, len(d.Block.Txs))
	for j, tx := range d.Block.Txs {
		hashes[j] = string(contract.Hash(tx))
	}
	res := d.ResultFinalizeBlock.TxResults
	w.mu.Lock()
	defer w.mu.Unlock()
	if d.Block.LastCommit != nil && d.Block.LastCommit.Round > 0 {
		w.late[h-1] = true
	}
	for j, k := range hashes {
		ch, ok := w.waiting[k]
		if !ok {
			continue
		}
		delete(w.waiting, k)
		c := committed{height: h, code: uint32(contract.CodeBadEncoding), log: "no result in the block's event"}
		if j < len(res) {
			c.code, c.log = res[j].Code, res[j].Log
		}
		ch <- c // buffered, and sent once
	}
}

// watch registers a transaction before it is sent, so its block cannot
// pass unseen; cancel forgets it.
func (w *blockWatch) watch(hash []byte) (result <-chan committed, cancel func()) {
	k := string(hash)
	ch := make(chan committed, 1)
	w.mu.Lock()
	w.waiting[k] = ch
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		if w.waiting[k] == ch {
			delete(w.waiting, k)
		}
		w.mu.Unlock()
	}
}

// lateBlocks counts heights in (from, to] committed in a round after the
// first (a block names the round of the one before in its LastCommit).
func (w *blockWatch) lateBlocks(from, to int64) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for h := from + 1; h <= to; h++ {
		if w.late[h] {
			n++
		}
	}
	return n
}

func (w *blockWatch) stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	w.wg.Wait()
}

package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
)

// blockWatch follows one node's committed blocks over its RPC websocket
// (tm.event='NewBlock'). A spend sent to the node learns its result from
// the node's event for the block that holds it, as the gateway in process
// learns it from contract.App.Watch.
//
// The event is decoded into blockEvent, the few fields needed, not by
// CometBFT's client (rpchttp.WSEvents), which decodes every field of every
// block through reflection: that took over half of the benchmark
// process's CPU, on the two cores the nodes need.
type blockWatch struct {
	node    int
	ws      *jsonrpcclient.WSClient
	mu      sync.Mutex
	waiting map[string]chan committed // by transaction hash (contract.Hash)
	late    map[int64]bool            // heights committed in a round after the first
	arrived map[int64]time.Time       // when each block's event was received
	height  atomic.Int64              // the last block received
	lost    atomic.Int64              // heights whose event never came
	bad     atomic.Int64              // events that did not decode
	wg      sync.WaitGroup
}

// committed is a transaction's result in the block that holds it.
type committed struct {
	height int64
	code   uint32
	log    string
}

// blockEvent is what blockWatch reads of a NewBlock event (a ResultEvent
// whose data is types.EventDataNewBlock, in CometBFT's JSON: int64 as
// strings, bytes as base64, the transaction results in protobuf JSON).
type blockEvent struct {
	Data struct {
		Value struct {
			Block struct {
				Header struct {
					Height int64 `json:"height,string"`
				} `json:"header"`
				Data struct {
					Txs [][]byte `json:"txs"`
				} `json:"data"`
				LastCommit *struct {
					Round int32 `json:"round"`
				} `json:"last_commit"`
			} `json:"block"`
			Result struct {
				TxResults []struct {
					Code uint32 `json:"code"`
					Log  string `json:"log"`
				} `json:"tx_results"`
			} `json:"result_finalize_block"`
		} `json:"value"`
	} `json:"data"`
}

// watchBlocks subscribes to node i's blocks through its RPC address.
func watchBlocks(ctx context.Context, i int, addr string) (*blockWatch, error) {
	ws, err := jsonrpcclient.NewWS(addr, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("node %d websocket: %w", i, err)
	}
	if err := ws.Start(); err != nil {
		return nil, fmt.Errorf("node %d websocket: %w", i, err)
	}
	w := &blockWatch{node: i, ws: ws, waiting: map[string]chan committed{}, late: map[int64]bool{}, arrived: map[int64]time.Time{}}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for resp := range ws.ResponsesCh { // closed by ws.Stop
			if resp.Error != nil {
				w.bad.Add(1)
				continue
			}
			var ev blockEvent
			if err := json.Unmarshal(resp.Result, &ev); err != nil {
				w.bad.Add(1)
				continue
			}
			if ev.Data.Value.Block.Header.Height > 0 { // not the subscription's own reply
				w.onBlock(&ev, time.Now())
			}
		}
	}()
	if err := ws.Subscribe(ctx, types.EventQueryNewBlock.String()); err != nil {
		w.stop()
		return nil, fmt.Errorf("node %d: subscribe to blocks: %w", i, err)
	}
	return w, nil
}

func (w *blockWatch) onBlock(ev *blockEvent, now time.Time) {
	blk, res := &ev.Data.Value.Block, ev.Data.Value.Result.TxResults
	h := blk.Header.Height
	if prev := w.height.Load(); prev != 0 && h > prev+1 {
		w.lost.Add(h - prev - 1)
	}
	w.height.Store(h)
	hashes := make([]string, len(blk.Data.Txs))
	for j, tx := range blk.Data.Txs {
		hashes[j] = string(contract.Hash(tx))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.arrived[h] = now
	if blk.LastCommit != nil && blk.LastCommit.Round > 0 {
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

// gaps are the sorted intervals between the arrivals of consecutive
// blocks in (from, to].
func (w *blockWatch) gaps(from, to int64) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var g []time.Duration
	for h := from + 2; h <= to; h++ {
		a, ok1 := w.arrived[h-1]
		b, ok2 := w.arrived[h]
		if ok1 && ok2 {
			g = append(g, b.Sub(a))
		}
	}
	slices.Sort(g)
	return g
}

func (w *blockWatch) stop() {
	w.ws.Stop()
	w.wg.Wait()
}

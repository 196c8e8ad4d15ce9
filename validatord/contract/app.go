package contract

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
)

// AppVersion is the contract's version, reported to CometBFT.
const AppVersion uint64 = 1

// Options configure an App. The contract holds no secret: the codeword
// commitment that needed the network's copy secret is gone, because the
// copy record itself commits to the codeword (docs/key-custody.md,
// "Labels"), so every node, whatever its own secrets, computes the same
// state.
type Options struct {
	// DealChecker opens this node's dealt title shares in CheckTx (a
	// node's own verdict, never part of the state); nil checks none (the
	// node checks again when it releases).
	DealChecker DealChecker
	// ChainID is the network's, from the genesis file: a snapshot of
	// another chain is refused (empty: any).
	ChainID string
	// Snapshots make the node keep snapshots for state sync.
	Snapshots SnapshotOptions
}

var _ abci.Application = (*App)(nil)

// App is the contract as a CometBFT application.
type App struct {
	abci.BaseApplication
	opts     Options
	db       dbm.DB
	verified *verifiedCache
	own      *ownChecks    // the statements this node's gateway verified
	results  *resultFilter // which transactions may have a committed result
	absent   *keyFilter    // which keys a spend expects absent the store may hold (under mu)

	// Three locks, so that CheckTx, queries and watchers never wait for a
	// block to execute: mu serialises InitChain, FinalizeBlock and Commit
	// and guards pending; cmu guards the last commit; wmu the watchers.
	mu      sync.Mutex
	pending *block // staged by InitChain or FinalizeBlock, written by Commit
	cmu     sync.RWMutex
	height  int64
	hash    []byte
	wmu     sync.Mutex
	watch   map[string][]chan TxResult
	next    chan struct{} // closed at the next commit (under wmu)
	chainID atomic.Pointer[string]

	restoring *restore // a state sync in progress (under mu)
	snapBusy  atomic.Bool
	snapWG    sync.WaitGroup
	snapErr   atomic.Pointer[error]
}

// block is what FinalizeBlock staged for Commit.
type block struct {
	height  int64
	hash    []byte
	staged  map[string][]byte
	results []TxResult
	changes *changeSet
	prev    []byte    // the app hash before this block
	batch   dbm.Batch // the writes of Commit, built by FinalizeBlock (stageBatch)
}

// TxResult is a committed transaction's outcome.
type TxResult struct {
	Hash   []byte `json:"hash"`
	Height int64  `json:"height"`
	Code   Code   `json:"code"`
	Data   []byte `json:"data,omitempty"` // JSON Receipt for a spend
	Log    string `json:"log"`
}

// New opens the contract over a database, recovering the last committed
// height and app hash (CometBFT's handshake replays any later blocks).
func New(db dbm.DB, opts Options) (*App, error) {
	a := &App{opts: opts, db: db, watch: map[string][]chan TxResult{}, next: make(chan struct{}), verified: newVerifiedCache(), own: newOwnChecks()}
	h, err := db.Get([]byte(metaHeight))
	if err != nil {
		return nil, fmt.Errorf("contract.New: %w", err)
	}
	if len(h) == 8 {
		a.height = int64(binary.BigEndian.Uint64(h))
	}
	if a.hash, err = db.Get([]byte(metaHash)); err != nil {
		return nil, fmt.Errorf("contract.New: %w", err)
	}
	c, err := db.Get([]byte(metaChainID))
	if err != nil {
		return nil, fmt.Errorf("contract.New: %w", err)
	}
	chainID := string(c)
	a.chainID.Store(&chainID)
	if a.results, err = loadResultFilter(db); err != nil {
		return nil, fmt.Errorf("contract.New: %w", err)
	}
	if a.absent, err = loadKeyFilter(db); err != nil {
		return nil, fmt.Errorf("contract.New: %w", err)
	}
	return a, nil
}

// LastCommit returns the last committed height and app hash.
func (a *App) LastCommit() (int64, []byte) {
	a.cmu.RLock()
	defer a.cmu.RUnlock()
	return a.height, append([]byte(nil), a.hash...)
}

// AppHashAt returns the app hash after the committed block at height h
// (nil if this node holds no record of it: it joined later, or h is ahead).
func (a *App) AppHashAt(h int64) ([]byte, error) {
	p, err := a.db.Get(heightKey(hashPfx, h))
	if err != nil {
		return nil, fmt.Errorf("contract.AppHashAt(%d): %w", h, err)
	}
	return p, nil
}

// Info implements abci.Application: CometBFT compares it with its block
// store after a restart and replays the blocks the app has not committed.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	h, hash := a.LastCommit()
	return &abci.InfoResponse{
		Data:             "copystation contract",
		AppVersion:       AppVersion,
		LastBlockHeight:  h,
		LastBlockAppHash: hash,
	}, nil
}

// InitChain implements abci.Application: it stages the genesis app state.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	var g Genesis
	if err := json.Unmarshal(req.AppStateBytes, &g); err != nil {
		return nil, fmt.Errorf("contract.InitChain: genesis app state: %w", err)
	}
	if err := refuseDeposit(req.AppStateBytes); err != nil {
		return nil, fmt.Errorf("contract.InitChain: %w", err)
	}
	v := &view{db: a.db, staged: map[string][]byte{}, writes: map[string][]byte{}}
	if err := applyGenesis(v, &g); err != nil {
		return nil, fmt.Errorf("contract.InitChain: %w", err)
	}
	if err := genesisValidators(v, &g, req.Validators); err != nil {
		return nil, fmt.Errorf("contract.InitChain: %w", err)
	}
	v.merge()
	cs := changes(v.staged)
	hash := chainHash(nil, req.InitialHeight-1, cs.root)
	a.mu.Lock()
	defer a.mu.Unlock()
	chainID := req.ChainId
	a.chainID.Store(&chainID)
	a.pending = &block{height: req.InitialHeight - 1, hash: hash, staged: v.staged, changes: cs}
	a.cmu.Lock()
	a.hash = hash
	a.cmu.Unlock()
	return &abci.InitChainResponse{AppHash: hash}, nil
}

// CheckTx implements abci.Application. It decides statelessly: encoding,
// bounds and signature only; the rules that need state run in
// FinalizeBlock. For a kiosk's spend it also verifies the customer's grant
// against the token's committed owner, to spare FinalizeBlock that
// verification, never to refuse (grantmemo.go).
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	// Bytes this node has already passed pass again without a second
	// verification: the verdict depends on them alone (and on this node's
	// dealt shares, checked before they were remembered). A node's ledger
	// checks a station's statement before it gathers it, and a lone one
	// then reaches the mempool as these same bytes.
	h := Hash(req.Tx)
	if _, _, ok := a.verified.lookup(h); ok {
		return &abci.CheckTxResponse{Code: uint32(OK)}, nil
	}
	chainID := a.ChainID()
	t, err := DecodeTx(req.Tx)
	if err != nil {
		r := refuse(CodeBadEncoding, "%v", err)
		return &abci.CheckTxResponse{Code: uint32(r.code), Log: r.log()}, nil
	}
	if t.Type == TxBatch {
		if r := a.checkBatch(t, chainID); r != nil {
			return &abci.CheckTxResponse{Code: uint32(r.code), Log: r.log()}, nil
		}
		// A batch passes again at one lookup: a node's mempool reactor
		// checks a peer's batch before CometBFT's mempool does under its
		// lock (chain.originGossip). Execution never looks a batch up: it
		// runs the statements, each under its own hash.
		a.verified.add(h, nil, nil)
		return &abci.CheckTxResponse{Code: uint32(OK)}, nil
	}
	st, r := verifyTx(t, chainID, a.own)
	if r != nil {
		return &abci.CheckTxResponse{Code: uint32(r.code), Log: r.log()}, nil
	}
	if r := a.checkTxDeal(t); r != nil {
		return &abci.CheckTxResponse{Code: uint32(r.code), Log: r.log()}, nil
	}
	a.verified.add(h, st, a.grantOwner(st))
	yieldAfterVerify()
	return &abci.CheckTxResponse{Code: uint32(OK)}, nil
}

// Checked reports whether CheckTx has passed these bytes and still
// remembers them, so that a CheckTx of them again is one lookup.
func (a *App) Checked(tx []byte) bool {
	_, _, ok := a.verified.lookup(Hash(tx))
	return ok
}

// yieldAfterVerify lets the goroutines waiting for a core run after a
// signature check, about 70 us of CPU. CheckTx runs on each peer
// connection's receive goroutine and on the ledger's, which check back to
// back while transactions keep coming; a goroutine one of them wakes, the
// consensus state machine's among them, otherwise waits for it to block or
// to use up its time slice (Go's is 10 ms), on every step of every height
// while the cores are busy. Yielding after each check cut the wait from a
// height's commit to its proposal (p99 17-22 to 11-14 ms) and the spends'
// p99 at 2,000 a second (docs/benchmarks.md, issue 17, nineteenth session).
func yieldAfterVerify() { runtime.Gosched() }

// FinalizeBlock implements abci.Application: it executes the decided block
// against staged state and returns the new app hash.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Sized for a block of spends (five state keys each, two reads), so
	// the maps do not grow by rehashing as the block executes.
	staged := make(map[string][]byte, 5*len(req.Txs))
	if a.pending != nil { // genesis writes, before the first commit
		staged = a.pending.staged
	}
	_, prev := a.LastCommit()
	env := &execEnv{chainID: a.ChainID(), height: req.Height, time: req.Time.Unix(), verified: a.verified, own: a.own, decoded: map[string]decodedRecord{}}
	reads := make(map[string][]byte, 2*len(req.Txs))
	writes := map[string][]byte{} // one transaction's, emptied for the next
	resp := &abci.FinalizeBlockResponse{TxResults: make([]*abci.ExecTxResult, len(req.Txs))}
	results := make([]TxResult, 0, len(req.Txs))
	// one executes a transaction (a lone one or a batch's) on its own view.
	one := func(raw []byte) (TxResult, error) {
		clear(writes)
		v := &view{db: a.db, staged: staged, writes: writes, reads: reads, absent: a.absent}
		env.txHash, env.update = Hash(raw), nil
		data, ref, err := env.exec(v, raw)
		if err != nil {
			return TxResult{}, err
		}
		res := TxResult{Hash: env.txHash, Height: req.Height, Data: data, Log: "accepted"}
		if ref != nil {
			res.Code, res.Data, res.Log = ref.code, nil, ref.log()
		} else {
			v.merge()
			if env.update != nil {
				resp.ValidatorUpdates = blockUpdates(resp.ValidatorUpdates, *env.update)
			}
		}
		return res, nil
	}
	for i, raw := range req.Txs {
		inner, ref := batchOf(raw)
		var res TxResult
		var err error
		switch {
		case ref != nil:
			res = TxResult{Hash: Hash(raw), Height: req.Height, Code: ref.code, Log: ref.log()}
		case inner == nil:
			res, err = one(raw)
		default:
			accepted := 0
			for j, tx := range inner {
				r, err := one(tx)
				if err != nil {
					return nil, fmt.Errorf("contract.FinalizeBlock: height %d tx %d (batch) tx %d: %w", req.Height, i, j, err)
				}
				if r.Code == OK {
					accepted++
				}
				results = append(results, r)
			}
			res = TxResult{Hash: Hash(raw), Height: req.Height, Log: fmt.Sprintf("batch: %d of %d accepted", accepted, len(inner))}
		}
		if err != nil {
			return nil, fmt.Errorf("contract.FinalizeBlock: height %d tx %d: %w", req.Height, i, err)
		}
		results = append(results, res)
		resp.TxResults[i] = &abci.ExecTxResult{Code: uint32(res.Code), Data: res.Data, Log: res.Log}
	}
	cs := changes(staged)
	hash := nextHash(prev, req.Height, cs)
	p := &block{height: req.Height, hash: hash, staged: staged, results: results, changes: cs, prev: prev}
	b, err := a.stageBatch(p)
	if err != nil {
		return nil, fmt.Errorf("contract.FinalizeBlock: height %d: %w", req.Height, err)
	}
	p.batch = b
	if a.pending != nil && a.pending.batch != nil { // a block executed again
		a.pending.batch.Close()
	}
	a.pending = p
	resp.AppHash = hash
	return resp, nil
}

// Commit implements abci.Application: it writes the staged block in one
// atomic batch, then wakes whoever waits for its transactions. The batch is
// not fsynced: CometBFT has already synced the block and its state, and at
// the next start its handshake replays every block a power loss took back
// from this store, so nothing is lost and the wait stays off the critical
// path of consensus.
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pending
	if p == nil {
		return nil, errors.New("contract.Commit: nothing staged")
	}
	b := p.batch
	if b == nil { // the genesis block staged by InitChain alone
		var err error
		if b, err = a.stageBatch(p); err != nil {
			return nil, fmt.Errorf("contract.Commit: %w", err)
		}
	}
	defer b.Close()
	if err := b.Write(); err != nil {
		return nil, fmt.Errorf("contract.Commit: %w", err)
	}
	for k := range p.staged { // before the next block executes (under mu)
		a.absent.add(k)
	}
	a.pending = nil
	a.cmu.Lock()
	a.height, a.hash = p.height, p.hash
	a.cmu.Unlock()
	// Watchers registered before this point get the result here; later
	// ones find it in the index, which the batch above has written, and
	// in the filter, which is told under the same lock as the watchers.
	a.wmu.Lock()
	defer a.wmu.Unlock()
	for _, r := range p.results {
		a.results.add(r.Hash)
		key := string(r.Hash)
		for _, ch := range a.watch[key] {
			ch <- r
		}
		delete(a.watch, key)
	}
	close(a.next)
	a.next = make(chan struct{})
	a.maybeSnapshot(p.height, p.hash)
	return &abci.CommitResponse{}, nil
}

// Watch returns a channel that receives the result of the transaction with
// this hash once it is committed (at once if it already was), and a
// function to stop watching. Register before broadcasting, so no commit can
// slip between.
func (a *App) Watch(hash []byte) (<-chan TxResult, func()) {
	ch := make(chan TxResult, 1)
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if r, ok := a.result(hash); ok {
		ch <- r
		return ch, func() {}
	}
	key := string(hash)
	a.watch[key] = append(a.watch[key], ch)
	return ch, func() {
		a.wmu.Lock()
		defer a.wmu.Unlock()
		list := a.watch[key]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(a.watch, key)
		} else {
			a.watch[key] = list
		}
	}
}

// CompactStore writes the store's memtable to tables and rewrites them
// into its last level, as pebble's own compactions would in time; state
// and app hash are unchanged. The spend benchmarks run it after minting,
// so that a spend reads its token from a table, as a deployment's tokens,
// minted long before they are spent, are read.
func (a *App) CompactStore() error {
	if err := a.db.Compact(nil, nil); err != nil {
		return fmt.Errorf("contract: compacting the store: %w", err)
	}
	return nil
}

// NextCommit returns a channel closed when the next block is committed
// (its state readable), for a reader waiting on state another node's
// transaction changes.
func (a *App) NextCommit() <-chan struct{} {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	return a.next
}

// Result returns a committed transaction's result by hash.
func (a *App) Result(hash []byte) (TxResult, bool) {
	return a.result(hash)
}

// result reads a committed result (storedResult); a result the store
// cannot read or decode is reported as none.
func (a *App) result(hash []byte) (TxResult, bool) {
	p, err := a.storedResult(hash)
	if err != nil || p == nil {
		return TxResult{}, false
	}
	r, err := decodeResult(append([]byte(nil), hash...), p)
	return r, err == nil
}

// storedResult is the stored form of a transaction's committed result
// (nil if it has none), the one lookup behind result and stageBatch: the
// filter spares the store's for a transaction that has none, the common
// case (resultfilter.go).
func (a *App) storedResult(hash []byte) ([]byte, error) {
	if !a.results.mayHold(hash) {
		return nil, nil
	}
	return a.db.Get([]byte(resultsPfx + hex.EncodeToString(hash)))
}

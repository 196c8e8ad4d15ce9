package chain

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/rpc/client/local"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/vault"
)

// Options start a node.
type Options struct {
	Home string
	// KEK is the node's key-encryption key that opens its vault (32 bytes).
	KEK []byte
	// LogWriter receives CometBFT's log at error level; nil discards it.
	LogWriter io.Writer
	// Tune may adjust CometBFT's configuration before start (tests).
	Tune func(*cfg.Config)
	// Fault makes the node's key service misbehave (tests of the
	// station's checks against a real node); zero in production.
	Fault keyservice.Fault
}

// Node is a running validation node.
type Node struct {
	Home   string
	Config *NodeConfig
	App    *contract.App
	Keys   *keyservice.Service
	// Custodian opens this node's own dealt title shares (nil for a home
	// made without a custody key).
	Custodian *keyservice.Custodian
	Comet     *nm.Node
	Client    *local.Local
	ChainID   string
	// GatewayKey is the node's Noise static private key (X25519) from
	// the vault, for the station gateway; Stop wipes it.
	GatewayKey []byte
	// Signer is the node's P-256 signing key from the vault; its KeyID
	// names the node to stations.
	Signer *ecdsa.PrivateKey
	appDB  dbm.DB
	vault  *nodeVault // the key service's way to a new epoch share
	pacer  *pacer     // the stores' and snapshots' background writes
	// stopping, set when Stop begins, refuses peers (clients.go).
	stopping *atomic.Bool
}

// Start runs the node in its home until Stop.
func Start(ctx context.Context, o Options) (*Node, error) {
	nc, err := LoadNodeConfig(o.Home)
	if err != nil {
		return nil, err
	}
	sec, err := vault.Load(filepath.Join(o.Home, FileVault), o.KEK)
	if err != nil {
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	defer sec.Wipe()
	if err := sec.CheckCometKeys(); err != nil {
		return nil, fmt.Errorf("chain.Start: %w; restore the home's vault from its backup", err)
	}
	doc, err := types.GenesisDocFromFile(filepath.Join(o.Home, FileGenesis))
	if err != nil {
		return nil, fmt.Errorf("chain.Start: genesis: %w", err)
	}
	cust, err := custodyOf(doc, nc, sec)
	if err != nil {
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	cust.Fault = o.Fault
	ks := keyservice.New(cust)
	signer, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), sec.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("chain.Start: signer key: %w", err)
	}
	c := cometConfig(o.Home, nc)
	if nc.StateSync != nil {
		nc.StateSync.apply(c)
	}
	if o.Tune != nil {
		o.Tune(c)
	}
	var cu *keyservice.Custodian
	if len(sec.CustodyKey) != 0 {
		if cu, err = keyservice.NewCustodian(sec.CustodyKey); err != nil {
			ks.Close()
			return nil, fmt.Errorf("chain.Start: %w", err)
		}
	}
	slot, n := storeSlot(doc, sec.ConsensusKey)
	memTable := memTableBytes(slot, n)
	// Each store opened takes its own reference to the cache; this one is
	// dropped once they are all open (or the start failed).
	cache := storeCache(StoreCacheBytes, memTable)
	defer cache.Unref()
	pc := newPacer(nc.backgroundRate())
	provider := guardedProvider(cache, memTable, pc)
	appDB, err := provider(&cfg.DBContext{ID: "contract", Config: c})
	if err != nil {
		ks.Close()
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	opts := contract.Options{ChainID: cust.ChainID, Snapshots: snapshotOptions(o.Home, nc, slot, n)}
	if pc != nil {
		opts.Snapshots.Pace = pc.wait
	}
	if cu != nil {
		opts.DealChecker = cu
	}
	app, err := contract.New(appDB, opts)
	if err != nil {
		appDB.Close()
		ks.Close()
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	pv, err := privValidator(sec.ConsensusKey, c.PrivValidatorStateFile())
	if err != nil {
		appDB.Close()
		ks.Close()
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	nodeKey := &p2p.NodeKey{PrivKey: ed25519.PrivKey(append([]byte(nil), sec.NodeKey...))}
	logger := cmtlog.NewNopLogger()
	if o.LogWriter != nil {
		logger = cmtlog.NewFilter(cmtlog.NewTMLogger(o.LogWriter), cmtlog.AllowError())
	}
	var gossip []nm.Option
	if !nc.RelayTxs {
		gossip = append(gossip, withOriginGossip(logger, func(tx []byte) {
			_, _ = app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx}) // the mempool's CheckTx answers
		}))
	}
	stopping := new(atomic.Bool)
	cn, err := nm.NewNode(ctx, c, pv, nodeKey, clientCreator{app, stopping},
		nm.DefaultGenesisDocProviderFunc(c), provider, nm.DefaultMetricsProvider(c.Instrumentation), logger, gossip...)
	if err != nil {
		appDB.Close()
		ks.Close()
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	ks.Follow(app) // a custody epoch, once one commits, replaces the genesis share
	nv := newNodeVault(filepath.Join(o.Home, FileVault), o.KEK)
	ks.ReadSharesFrom(nv) // a resharing run while the node runs leaves its share there
	if err := cn.Start(); err != nil {
		appDB.Close()
		ks.Close()
		nv.wipe()
		return nil, fmt.Errorf("chain.Start: %w", err)
	}
	return &Node{Home: o.Home, Config: nc, App: app, Keys: ks, Custodian: cu, Comet: cn, Client: local.New(cn), ChainID: cn.GenesisDoc().ChainID, GatewayKey: append([]byte(nil), sec.GatewayKey...), Signer: signer, appDB: appDB, vault: nv, pacer: pc, stopping: stopping}, nil
}

// Stop stops CometBFT and closes the stores. A node stopped any other way
// (a crash) recovers at the next Start by CometBFT's handshake and replay.
func (n *Node) Stop() error {
	var errs []error
	// A store's Close and WaitSnapshots wait for work in progress: let it
	// finish at full speed.
	n.pacer.stop()
	// CometBFT v1.0.1 can start consensus after the node has stopped if a
	// stop lands while block sync hands over to consensus; that consensus
	// then ticks on files its owner may already have removed. Let a
	// hand-over in progress finish first (bounded).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	n.WaitConsensus(ctx)
	cancel()
	n.stopping.Store(true)
	if n.Comet.IsRunning() {
		errs = append(errs, n.Comet.Stop())
		n.Comet.Wait()
	}
	n.App.WaitSnapshots()
	errs = append(errs, n.appDB.Close())
	n.Keys.Close()
	n.vault.wipe()
	clear(n.GatewayKey)
	return errors.Join(errs...)
}

// NodeID is the node's CometBFT p2p ID, which names it to stations.
func (n *Node) NodeID() string { return string(n.Comet.NodeInfo().ID()) }

// WaitConsensus waits until the node has left block sync and takes part in
// consensus.
func (n *Node) WaitConsensus(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n.Comet.ConsensusReactor().WaitSync() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("chain.WaitConsensus: still in block sync: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// WaitHeight waits until the node has committed height h.
func (n *Node) WaitHeight(ctx context.Context, h int64) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if got, _ := n.App.LastCommit(); got >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			got, _ := n.App.LastCommit()
			return fmt.Errorf("chain.WaitHeight(%d): at height %d: %w", h, got, ctx.Err())
		case <-t.C:
		}
	}
}

// privValidator builds CometBFT's file validator from the vault's key,
// keeping only its last-sign state on disk (the double-sign guard).
func privValidator(key []byte, statePath string) (*privval.FilePV, error) {
	pv := privval.NewFilePV(ed25519.PrivKey(append([]byte(nil), key...)), "", statePath)
	p, err := os.ReadFile(statePath)
	if errors.Is(err, os.ErrNotExist) {
		return pv, nil
	}
	if err != nil {
		return nil, err
	}
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(p, &st); err != nil {
		return nil, fmt.Errorf("validator state %s: %w", statePath, err)
	}
	pv.LastSignState.Height, pv.LastSignState.Round, pv.LastSignState.Step = st.Height, st.Round, st.Step
	pv.LastSignState.Signature, pv.LastSignState.SignBytes = st.Signature, st.SignBytes
	return pv, nil
}

// cometConfig maps node.json onto CometBFT's configuration.
func cometConfig(home string, nc *NodeConfig) *cfg.Config {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = nc.Moniker
	c.Genesis = FileGenesis
	c.DBPath = DirData
	c.PrivValidatorState = filepath.Join(DirData, "priv_validator_state.json")
	c.P2P.AddrBook = filepath.Join(DirData, "addrbook.json") // the home has no config/
	c.P2P.ListenAddress = "tcp://" + nc.P2PListen
	c.P2P.PersistentPeers = strings.Join(nc.Peers, ",")
	c.P2P.AddrBookStrict = false // loopback and LAN addresses are fine
	c.P2P.AllowDuplicateIP = true
	c.P2P.PexReactor = false // validators know each other from node.json
	c.FilterPeers = true     // refused while the node stops (clients.go, peerFilter)
	// A peer connection writes what it has queued at most this often;
	// CometBFT's 10 ms put up to 10 ms on every hop of a proposal, a vote
	// and a gossiped transaction. 2 ms costs a few more writes a second on
	// a LAN (docs/benchmarks.md, issue 17, seventh session).
	c.P2P.FlushThrottleTimeout = 2 * time.Millisecond
	c.RPC.ListenAddress = nc.RPCListen
	c.TxIndex.Indexer = "null" // the contract keeps its own result index
	c.Mempool.Recheck = false  // CheckTx is stateless
	// A registration with dealt shares is the largest transaction
	// (contract.MaxTxBytes); over RPC it travels base64 in JSON.
	c.Mempool.MaxTxBytes = contract.MaxTxBytes
	c.RPC.MaxBodyBytes = 2 * contract.MaxTxBytes
	c.Consensus.TimeoutPropose = time.Duration(nc.Timeouts.ProposeMS) * time.Millisecond
	c.Consensus.TimeoutPrevote = time.Duration(nc.Timeouts.PrevoteMS) * time.Millisecond
	c.Consensus.TimeoutPrecommit = time.Duration(nc.Timeouts.PrecommitMS) * time.Millisecond
	c.Consensus.TimeoutCommit = time.Duration(nc.Timeouts.CommitMS) * time.Millisecond
	c.Consensus.CreateEmptyBlocks = false
	// A peer's gossip routines poll for a proposal part or vote to send
	// and sleep this long when there is none, so each of a height's three
	// hops (proposal, prevotes, precommits) waits up to this long. 5 ms
	// instead of 10 shortened heights by a tenth at 2,000 spends/s for
	// the same CPU (docs/benchmarks.md, issue 17, sixteenth session).
	c.Consensus.PeerGossipSleepDuration = 5 * time.Millisecond
	c.Instrumentation.Prometheus = false
	return c
}

package chain

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	protomem "github.com/cometbft/cometbft/api/cometbft/mempool/v1"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"
)

// originGossip is CometBFT's mempool reactor (mempool/reactor.go of
// v1.0.1) less the relaying: a node sends each peer the transactions that
// reached it from its own clients (its ledger's gateway, its RPC), never
// those a peer sent it. Validators are a full mesh (node.json names every
// other validator, PEX is off), so a transaction crosses each link once;
// CometBFT's reactor, which sends every transaction to every peer that
// did not send it, puts a spend on four validators' links nine times, and
// each of the six extra copies costs the receiver a decryption, a decoding
// and a hash before its cache throws it away (docs/benchmarks.md, issue
// 17, twelfth and twenty-second sessions). A node that is not in the mesh
// still gets every transaction its peers receive from their clients, and a
// transaction submitted to it reaches its peers; it does not carry one
// peer's transactions to another, except while the network stalls
// (watchStall).
type originGossip struct {
	p2p.BaseReactor
	config *cfg.MempoolConfig
	mp     *mempool.CListMempool
	// stock is the node's own reactor, which its RPC asks whether the
	// node still syncs: it is told when this one is.
	stock interface{ EnableInOutTxs() }

	// precheck runs the application's CheckTx on a transaction a peer
	// sent before CometBFT's mempool does, which holds the mempool's read
	// lock through it: a block's commit takes that lock to write, so it
	// waited for the batches in check on every peer connection, and new
	// checks for it. The application remembers what passed, and the
	// mempool's check finds it at one lookup.
	precheck func([]byte)

	// height is the node's last stored block; stallAfter is how long the
	// node holds transactions with no new block before it relays.
	height     func() int64
	stallAfter time.Duration

	waitSync   atomic.Bool
	waitSyncCh chan struct{}
	sent       atomic.Int64 // transactions sent to peers from this node's clients, for tests
	relayed    atomic.Int64 // peers' transactions sent on to other peers, for tests
}

// withOriginGossip is a NewNode option replacing the mempool reactor with
// originGossip.
func withOriginGossip(logger log.Logger, precheck func([]byte)) nm.Option {
	return func(n *nm.Node) {
		mp, ok := n.Mempool().(*mempool.CListMempool)
		stock, ok2 := n.MempoolReactor().(*mempool.Reactor)
		if !ok || !ok2 {
			return // another mempool type: keep its reactor
		}
		cc := n.Config().Consensus
		r := &originGossip{config: n.Config().Mempool, mp: mp, stock: stock, precheck: precheck,
			height: n.BlockStore().Height, stallAfter: stallAfter(cc)}
		r.BaseReactor = *p2p.NewBaseReactor("Mempool", r)
		if stock.WaitSync() {
			r.waitSync.Store(true)
			r.waitSyncCh = make(chan struct{})
		}
		r.SetLogger(logger.With("module", "mempool"))
		nm.CustomReactors(map[string]p2p.Reactor{"MEMPOOL": r})(n)
	}
}

// stallAfter is how long a node may hold transactions without a new
// block before it takes the network to be stalled: a round's three waits,
// longer than a height whose first proposer is down takes to commit in its
// second round (the proposal's wait and a round of votes).
// It is never under minStall, whatever the timeouts.
func stallAfter(c *cfg.ConsensusConfig) time.Duration {
	return max(c.TimeoutPropose+c.TimeoutPrevote+c.TimeoutPrecommit, minStall)
}

// minStall is the shortest stall: above a loaded height's length.
const minStall = 500 * time.Millisecond

// OnStart implements p2p.Reactor: the stall watch runs with the reactor.
func (r *originGossip) OnStart() error {
	go r.watchStall()
	return nil
}

// GetChannels implements p2p.Reactor: the mempool channel, as CometBFT's.
func (r *originGossip) GetChannels() []*p2p.ChannelDescriptor {
	largest := protomem.Message{Sum: &protomem.Message_Txs{Txs: &protomem.Txs{Txs: [][]byte{make([]byte, r.config.MaxTxBytes)}}}}
	return []*p2p.ChannelDescriptor{{
		ID:                  mempool.MempoolChannel,
		Priority:            5,
		RecvMessageCapacity: largest.Size(),
		MessageType:         &protomem.Message{},
	}}
}

// AddPeer implements p2p.Reactor: a sending routine for the peer.
func (r *originGossip) AddPeer(peer p2p.Peer) {
	if r.config.Broadcast {
		go r.sendTo(peer)
	}
}

// Receive implements p2p.Reactor: a peer's transactions go to CheckTx,
// with the peer recorded as their sender.
func (r *originGossip) Receive(e p2p.Envelope) {
	msg, ok := e.Message.(*protomem.Txs)
	if !ok {
		r.Switch.StopPeerForError(e.Src, fmt.Errorf("mempool cannot handle message of type: %T", e.Message))
		return
	}
	if r.WaitSync() {
		return
	}
	for _, b := range msg.GetTxs() {
		// A full mempool refuses before its check: so does the precheck,
		// or a backlog would buy signature checks for nothing.
		if r.precheck != nil && !r.full(len(b)) {
			r.precheck(b)
		}
		if _, err := r.mp.CheckTx(types.Tx(b), e.Src.ID()); err != nil && !errors.Is(err, mempool.ErrTxInCache) {
			r.Logger.Debug("Could not check tx", "src", e.Src, "err", err)
		}
	}
}

// full reports whether the mempool would refuse a transaction of n bytes
// for want of room, as CometBFT's CheckTx does before it asks the
// application.
func (r *originGossip) full(n int) bool {
	return r.mp.Size() >= r.config.Size || r.mp.SizeBytes()+int64(n) > r.config.MaxTxsBytes
}

// EnableInOutTxs is called by block sync when the node has caught up.
func (r *originGossip) EnableInOutTxs() {
	r.stock.EnableInOutTxs()
	if r.waitSync.CompareAndSwap(true, false) {
		close(r.waitSyncCh)
	}
}

// WaitSync reports whether the node is still catching up.
func (r *originGossip) WaitSync() bool { return r.waitSync.Load() }

// fromPeer reports whether a connected peer sent the transaction. It runs
// for every transaction on every peer's routine: no copy of the peer set.
func (r *originGossip) fromPeer(e mempool.Entry) bool {
	from := false
	r.Switch.Peers().ForEach(func(p p2p.Peer) { from = from || e.IsSender(p.ID()) })
	return from
}

// sendTo sends the peer every transaction of the mempool that no peer sent
// this node, in mempool order, from the first; as CometBFT's reactor, it
// holds a transaction back while the peer is more than a block behind it.
func (r *originGossip) sendTo(peer p2p.Peer) {
	if r.WaitSync() {
		select {
		case <-r.waitSyncCh:
		case <-r.Quit():
			return
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-peer.Quit():
		case <-r.Quit():
		case <-ctx.Done():
		}
		cancel()
	}()
	it := r.mp.NewIterator(ctx)
	for r.IsRunning() && peer.IsRunning() {
		e := <-it.WaitNextCh()
		if e == nil || r.fromPeer(e) {
			continue
		}
		for behind(peer, e) {
			if !r.pause(peer) {
				return
			}
		}
		for !peer.Send(p2p.Envelope{ChannelID: mempool.MempoolChannel, Message: &protomem.Txs{Txs: [][]byte{e.Tx()}}}) {
			if !r.pause(peer) {
				return
			}
		}
		r.sent.Add(1)
	}
}

// behind reports whether the peer is more than a block behind the height
// at which the node took the transaction in: it may not yet have the state
// the transaction was checked against.
func behind(peer p2p.Peer, e mempool.Entry) bool {
	ps, ok := peer.Get(types.PeerStateKey).(mempool.PeerState)
	return !ok || ps.GetHeight()+1 < e.Height()
}

// watchStall relays the peers' transactions the node holds to its other
// peers when it has held transactions for stallAfter with no new block.
// Gossip from the origin relies on the origin's links: a validator that
// reaches only some of its peers (a link down, a node just restored whose
// connections are still coming up) gives its transactions to those alone,
// and a height whose proposer has none never starts, as the network makes
// no empty blocks; the votes of the nodes that have them are not enough.
// A stall is the one case in which relaying pays, and the watch costs a
// look at the height and the mempool's size eight times a stallAfter.
func (r *originGossip) watchStall() {
	t := time.NewTicker(r.stallAfter / 8)
	defer t.Stop()
	h, since := r.height(), time.Now()
	for {
		select {
		case <-r.Quit():
			return
		case now := <-t.C:
			if hh := r.height(); hh != h || r.mp.Size() == 0 || r.WaitSync() {
				h, since = hh, now
			} else if now.Sub(since) >= r.stallAfter {
				r.relay()
				since = now // again after another stallAfter if still stalled
			}
		}
	}
}

// relay offers each peer the transactions the node holds that another
// peer sent it and this one did not, without waiting on a full send
// queue: a stall is retried.
func (r *originGossip) relay() {
	peers := r.Switch.Peers().Copy()
	// The mempool's iterator waits at the end of the list for more; a
	// stalled node wants what it holds now, so it walks the list.
	var to []p2p.Peer
	for el := r.mp.TxsFront(); el != nil; el = el.Next() { //nolint:staticcheck // a snapshot, not a wait
		e, ok := el.Value.(mempool.Entry)
		if !ok {
			continue
		}
		from := false // one pass over the peers: who sent it, who may have it
		to = to[:0]
		for _, p := range peers {
			if e.IsSender(p.ID()) {
				from = true
			} else if !behind(p, e) {
				to = append(to, p)
			}
		}
		if !from {
			continue // the node's own: sendTo's
		}
		for _, p := range to {
			if p.TrySend(p2p.Envelope{ChannelID: mempool.MempoolChannel, Message: &protomem.Txs{Txs: [][]byte{e.Tx()}}}) {
				r.relayed.Add(1)
			}
		}
	}
}

// pause waits as CometBFT's reactor does between tries; false: stop.
func (r *originGossip) pause(peer p2p.Peer) bool {
	select {
	case <-time.After(mempool.PeerCatchupSleepIntervalMS * time.Millisecond):
		return true
	case <-peer.Quit():
	case <-r.Quit():
	}
	return false
}

// TxsSent is how many of its clients' transactions the node has sent its
// peers since it started (each peer's copy counted), and how many of its
// peers' transactions it has sent on in stalls.
func (n *Node) TxsSent() (sent, relayed int64) {
	if r, ok := n.Comet.Switch().Reactor("MEMPOOL").(*originGossip); ok {
		return r.sent.Load(), r.relayed.Load()
	}
	return 0, 0
}

package chain

import (
	"context"
	"strings"
	"sync/atomic"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/proxy"

	"copystation/validatord/contract"
)

// clientCreator gives CometBFT the contract's four ABCI connections. The
// consensus, query and snapshot connections each keep their own mutex, as
// proxy.NewConnSyncLocalClientCreator does. The mempool connection has none:
// CheckTx is stateless and safe to run concurrently (contract.App.CheckTx),
// so the transactions arriving from each peer and from each client are
// checked side by side instead of queueing on one lock, where a peer's
// receive routine, which also carries its consensus messages, waited
// behind every signature check of the node.
type clientCreator struct {
	app *contract.App
	// stopping refuses peers once the node has begun to stop (peerFilter).
	stopping *atomic.Bool
}

var _ proxy.ClientCreator = clientCreator{}

func (c clientCreator) NewABCIConsensusClient() (abcicli.Client, error) {
	return abcicli.NewLocalClient(nil, c.app), nil
}

func (c clientCreator) NewABCIMempoolClient() (abcicli.Client, error) {
	return abcicli.NewUnsyncLocalClient(c.app), nil
}

func (c clientCreator) NewABCIQueryClient() (abcicli.Client, error) {
	return peerFilter{abcicli.NewLocalClient(nil, c.app), c.stopping}, nil
}

// peerFilter answers the queries by which CometBFT asks whether to take a
// connection or a peer (config FilterPeers): yes, unless the node has begun
// to stop. CometBFT v1.0.1's switch, once stopped, still takes a
// connection its transport accepted, or a dial in flight completed, and
// leaves it open without starting it (p2p/switch.go, addPeer). The peer at
// the other end, which redialled the moment the node's links dropped,
// then holds a link to a node that is gone and refuses the node's next
// start, in the same process, as a duplicate until its pings time out (a
// minute or more): a restarted node could not catch up or gossip. A
// refused peer's connection is closed by CometBFT. The contract never sees
// these queries.
type peerFilter struct {
	abcicli.Client
	stopping *atomic.Bool
}

func (f peerFilter) Query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	if !strings.HasPrefix(req.Path, "/p2p/filter/") {
		return f.Client.Query(ctx, req)
	}
	if f.stopping.Load() {
		return &abci.QueryResponse{Code: 1, Log: "the node is stopping"}, nil
	}
	return &abci.QueryResponse{}, nil
}

func (c clientCreator) NewABCISnapshotClient() (abcicli.Client, error) {
	return abcicli.NewLocalClient(nil, c.app), nil
}

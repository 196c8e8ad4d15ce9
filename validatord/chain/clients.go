package chain

import (
	abcicli "github.com/cometbft/cometbft/abci/client"
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
type clientCreator struct{ app *contract.App }

var _ proxy.ClientCreator = clientCreator{}

func (c clientCreator) NewABCIConsensusClient() (abcicli.Client, error) {
	return abcicli.NewLocalClient(nil, c.app), nil
}

func (c clientCreator) NewABCIMempoolClient() (abcicli.Client, error) {
	return abcicli.NewUnsyncLocalClient(c.app), nil
}

func (c clientCreator) NewABCIQueryClient() (abcicli.Client, error) {
	return abcicli.NewLocalClient(nil, c.app), nil
}

func (c clientCreator) NewABCISnapshotClient() (abcicli.Client, error) {
	return abcicli.NewLocalClient(nil, c.app), nil
}

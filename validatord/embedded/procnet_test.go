package embedded

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"

	"copystation/protocol"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// procNet is a network of node processes (children of the test binary,
// see startChild) driven over their CometBFT RPC alone: the shape of a
// deployment, one validatord process per node, each with its own Go
// scheduler, where the in-process Network shares one.
type procNet struct {
	children []*child
	rpcs     []*rpchttp.HTTP
	watch    []*blockWatch
	remote   *ledger.Remote
	isKey    *ecdsa.PrivateKey
	isPub    []byte
	st       *station
	next     int // tokens minted so far
}

// startProcNet makes n node homes under b.TempDir() with chain.Testnet
// (every node's own configuration, chain.LANTimeouts), starts each node in
// a child process, waits until all have committed a block, subscribes to
// each node's blocks if watch, and enrolls a station and registers
// the title through node 0's RPC.
func startProcNet(b *testing.B, ctx context.Context, n int, watch bool) *procNet {
	b.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	opKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	isKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opPub, _ := opKey.PublicKey.Bytes()
	isPub, _ := isKey.PublicKey.Bytes()
	homes, err := chain.Testnet(b.TempDir(), n, kek, chain.GenesisOptions{Operators: [][]byte{opPub},
		Issuers: []contract.Issuer{{Key: isPub, Name: "bench issuer"}}}, nil)
	if err != nil {
		b.Fatalf("chain.Testnet(%d) = %v", n, err)
	}
	pn := &procNet{isKey: isKey, isPub: isPub, st: newStation(b)}
	addrs := make([]string, n)
	for i, home := range homes {
		pn.children = append(pn.children, startChild(b, home, kek))
		nc, err := chain.LoadNodeConfig(home)
		if err != nil {
			b.Fatal(err)
		}
		addrs[i] = nc.RPCListen
		c, err := newRPCClient(addrs[i])
		if err != nil {
			b.Fatalf("RPC client for node %d: %v", i, err)
		}
		pn.rpcs = append(pn.rpcs, c)
	}
	for i := range n {
		if err := pn.waitReady(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	if watch {
		pn.connect(b, ctx, nil)
	}
	if pn.remote, err = ledger.Dial(addrs[0]); err != nil {
		b.Fatal(err)
	}
	admins := &Node{}
	if admins.Operator, err = ledger.NewAdmin(pn.remote, opKey, nil); err != nil {
		b.Fatal(err)
	}
	if admins.Issuer, err = ledger.NewAdmin(pn.remote, isKey, nil); err != nil {
		b.Fatal(err)
	}
	setup(b, ctx, admins, pn.st) // setup uses the admins alone
	return pn
}

// connect subscribes to every node's blocks, and makes RPC clients for
// addrs unless they are made already.
func (pn *procNet) connect(b *testing.B, ctx context.Context, addrs []string) {
	b.Helper()
	for i, addr := range addrs {
		c, err := newRPCClient(addr)
		if err != nil {
			b.Fatalf("RPC client for node %d: %v", i, err)
		}
		pn.rpcs = append(pn.rpcs, c)
	}
	for i, c := range pn.rpcs {
		w, err := watchBlocks(ctx, i, c.Remote())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(w.stop)
		pn.watch = append(pn.watch, w)
	}
}

// newRPCClient is CometBFT's HTTP client with a pool of kept-alive
// connections as large as the requests a node may have in flight: the
// default pool keeps two, so a burst of spends would open (and leave in
// TIME_WAIT) a connection each, a cost of the client, not of the node.
func newRPCClient(addr string) (*rpchttp.HTTP, error) {
	hc, err := jsonrpcclient.DefaultHTTPClient(addr)
	if err != nil {
		return nil, err
	}
	if t, ok := hc.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = 1024
	}
	return rpchttp.NewWithClient(addr, hc)
}

// waitReady polls node i's status until it has committed a block and is
// out of block sync, or fails at once if its process has exited.
func (pn *procNet) waitReady(ctx context.Context, i int) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := pn.rpcs[i].Status(ctx)
		if err == nil && s.SyncInfo.LatestBlockHeight >= 1 && !s.SyncInfo.CatchingUp {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %d not ready (last status error: %v): %w", i, err, ctx.Err())
		case <-pn.children[i].exited:
			return fmt.Errorf("node %d exited: %v (its reason is on stderr above)", i, pn.children[i].err)
		case <-tick.C:
		}
	}
}

// height is node i's last committed height, by RPC.
func (pn *procNet) height(ctx context.Context, i int) (int64, error) {
	s, err := pn.rpcs[i].Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("node %d status: %w", i, err)
	}
	return s.SyncInfo.LatestBlockHeight, nil
}

// mint mints count tokens to the station through node 0's RPC, as
// mintTokens does in process: consecutive nonces broadcast without
// waiting, and one wait for the commit every 4,000 (the mempool holds
// 5,000); then waits until every node has the last of them.
func (pn *procNet) mint(b *testing.B, ctx context.Context, count int) []string {
	b.Helper()
	ids := make([]string, count)
	var nonce uint64
	if err := pn.remote.Query(ctx, "/nonce/"+protocol.KeyID(pn.isPub), &nonce); err != nil {
		b.Fatal(err)
	}
	var last int64
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%d", pn.next)
		pn.next++
		nonce++
		tx, err := contract.NewTx(rand.Reader, pn.isKey, pn.isPub, testChainID, contract.TxMintToken, nonce,
			contract.MintTokenBody{ID: ids[i], Title: "film-1", Owner: pn.st.signPub})
		if err != nil {
			b.Fatal(err)
		}
		if (i+1)%4000 != 0 && i != len(ids)-1 {
			r, err := pn.rpcs[0].BroadcastTxSync(ctx, tx)
			if err != nil || r.Code != uint32(contract.OK) {
				b.Fatalf("broadcast mint %d: %v %+v", i, err, r)
			}
			continue
		}
		r, err := pn.remote.Submit(ctx, "mint", tx)
		if err != nil {
			b.Fatalf("mint %d: %v", i, err)
		}
		last = r.Height
	}
	for i := range pn.rpcs {
		for {
			h, err := pn.height(ctx, i)
			if err != nil {
				b.Fatal(err)
			}
			if h >= last {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return ids
}

// Package embedded runs validation nodes inside the calling process: one
// node for a station demo or a test, or a network of N on loopback.
package embedded

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

// Options shape embedded nodes.
type Options struct {
	// Genesis of a new network. An operator and an issuer are added with
	// the keys below.
	Genesis chain.GenesisOptions
	// OperatorKey and IssuerKey sign governance; nil makes fresh ones
	// (pass the same keys to reopen an existing directory).
	OperatorKey, IssuerKey *ecdsa.PrivateKey
	// KEK seals the nodes' vaults; nil makes a fresh one (pass the same
	// one to reopen an existing directory).
	KEK []byte
	// LogWriter receives CometBFT's errors; nil discards them.
	LogWriter io.Writer
	// Tune adjusts CometBFT's configuration (timeouts in tests).
	Tune func(*cfg.Config)
	// Faults makes node i's key service misbehave (tests only).
	Faults map[int]keyservice.Fault
	// GatherWindow is how long each node's ledger gathers stations'
	// statements into one batch (ledger.NewLocalGather): zero is
	// ledger.DefaultGatherWindow, negative sends each alone.
	GatherWindow time.Duration
}

// Node is one running embedded node with its Ledger API and, for tests and
// demos, ready governance clients.
type Node struct {
	*chain.Node
	Ledger   *ledger.Local
	Operator *ledger.Admin
	Issuer   *ledger.Admin
}

// Network is N nodes on loopback in one process.
type Network struct {
	Dir   string
	Homes []string
	opts  Options

	mu    sync.Mutex
	nodes []*Node // nil while a node is stopped
}

// Start runs one node with its home in dir (created on first use).
func Start(ctx context.Context, dir string, o Options) (*Node, error) {
	nw, err := StartNetwork(ctx, dir, 1, o)
	if err != nil {
		return nil, err
	}
	return nw.Node(0), nil
}

// StartNetwork runs n nodes on loopback with homes under dir (created on
// first use) and waits until they have committed their first block.
func StartNetwork(ctx context.Context, dir string, n int, o Options) (*Network, error) {
	if err := o.fill(); err != nil {
		return nil, fmt.Errorf("embedded.StartNetwork: %w", err)
	}
	nw := &Network{Dir: dir, opts: o, nodes: make([]*Node, n)}
	if _, err := os.Stat(filepath.Join(dir, "node0", chain.FileVault)); errors.Is(err, os.ErrNotExist) {
		g := o.Genesis
		opPub, _ := o.OperatorKey.PublicKey.Bytes()
		isPub, _ := o.IssuerKey.PublicKey.Bytes()
		g.Operators = append(g.Operators, opPub)
		g.Issuers = append(g.Issuers, contract.Issuer{Key: isPub, Name: "embedded issuer"})
		if nw.Homes, err = chain.Testnet(dir, n, o.KEK, g, nil); err != nil {
			return nil, fmt.Errorf("embedded.StartNetwork: %w", err)
		}
	} else {
		for i := range n {
			nw.Homes = append(nw.Homes, filepath.Join(dir, fmt.Sprintf("node%d", i)))
		}
	}
	for i := range n {
		if err := nw.Restart(ctx, i); err != nil {
			nw.Close()
			return nil, err
		}
	}
	for i := range n {
		if err := nw.Node(i).WaitHeight(ctx, 1); err != nil {
			nw.Close()
			return nil, fmt.Errorf("embedded.StartNetwork: %w", err)
		}
		if err := nw.Node(i).WaitConsensus(ctx); err != nil {
			nw.Close()
			return nil, fmt.Errorf("embedded.StartNetwork: %w", err)
		}
	}
	return nw, nil
}

func (o *Options) fill() error {
	var err error
	if o.OperatorKey == nil {
		if o.OperatorKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return err
		}
	}
	if o.IssuerKey == nil {
		if o.IssuerKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return err
		}
	}
	if o.KEK == nil {
		o.KEK = make([]byte, 32)
		if _, err := rand.Read(o.KEK); err != nil {
			return err
		}
	}
	if o.Tune == nil {
		o.Tune = func(*cfg.Config) {}
	}
	return nil
}

// Node returns node i, or nil while it is stopped.
func (nw *Network) Node(i int) *Node {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.nodes[i]
}

// Len is the number of nodes.
func (nw *Network) Len() int { return len(nw.nodes) }

// Stop stops node i (its peers see it vanish); Restart brings it back.
func (nw *Network) Stop(i int) error {
	nw.mu.Lock()
	n := nw.nodes[i]
	nw.nodes[i] = nil
	nw.mu.Unlock()
	if n == nil {
		return nil
	}
	return n.Stop()
}

// Restart starts node i from its home; it catches up by CometBFT's
// handshake, replay and block sync.
func (nw *Network) Restart(ctx context.Context, i int) error { return nw.RestartTuned(ctx, i, nil) }

// Partition is a RestartTuned adjustment that cuts a node off: it listens
// for peers on another port and dials none, so it neither sends nor
// receives blocks and its ledger stays where it stopped.
func Partition(c *cfg.Config) {
	c.P2P.ListenAddress = "tcp://127.0.0.1:0"
	c.P2P.PersistentPeers = ""
	c.P2P.Seeds = ""
	c.P2P.PexReactor = false
}

// RestartTuned is Restart with tune applied after Options.Tune.
func (nw *Network) RestartTuned(ctx context.Context, i int, tune func(*cfg.Config)) error {
	t := func(c *cfg.Config) {
		nw.opts.Tune(c)
		if tune != nil {
			tune(c)
		}
	}
	cn, err := chain.Start(ctx, chain.Options{Home: nw.Homes[i], KEK: nw.opts.KEK, LogWriter: nw.opts.LogWriter, Tune: t, Fault: nw.opts.Faults[i]})
	if err != nil {
		return fmt.Errorf("embedded: node %d: %w", i, err)
	}
	w := nw.opts.GatherWindow
	if w == 0 {
		w = ledger.DefaultGatherWindow
	}
	l := ledger.NewLocalGather(cn, w)
	op, err := ledger.NewAdmin(l, nw.opts.OperatorKey, nil)
	if err != nil {
		cn.Stop()
		return err
	}
	is, err := ledger.NewAdmin(l, nw.opts.IssuerKey, nil)
	if err != nil {
		cn.Stop()
		return err
	}
	nw.mu.Lock()
	nw.nodes[i] = &Node{Node: cn, Ledger: l, Operator: op, Issuer: is}
	nw.mu.Unlock()
	return nil
}

// Close stops every node.
func (nw *Network) Close() error {
	var errs []error
	for i := range nw.nodes {
		errs = append(errs, nw.Stop(i))
	}
	return errors.Join(errs...)
}

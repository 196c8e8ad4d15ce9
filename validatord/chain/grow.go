package chain

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	"copystation/custody"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// A network that grows (docs/validatord.md, "Joining and leaving"): a new
// operator makes its node's home from the network's genesis file, the
// operators vote its validator in (contract.TxProposeValidator), and the
// node catches up by state sync from the snapshots the others keep.

// Snapshots are a node's node.json settings for the snapshots it keeps
// for joining nodes.
type Snapshots struct {
	// Interval makes a snapshot every Interval heights (0: none), at the
	// node's own offset among them (snapshotOffset).
	Interval int64 `json:"interval"`
	// Keep is how many recent snapshots are kept (0: 2).
	Keep int `json:"keep,omitempty"`
	// ChunkBytes is a chunk's size (0: contract.DefaultChunkSize).
	ChunkBytes int `json:"chunk_bytes,omitempty"`
}

// StateSync is a joining node's node.json settings: where it checks the
// snapshot's app hash, and the header it trusts to start from.
type StateSync struct {
	// RPCServers are two or more of the network's CometBFT RPC addresses
	// (http://host:port), for the light client.
	RPCServers []string `json:"rpc_servers"`
	// TrustHeight and TrustHash name a block header the operator trusts,
	// read from an operator's node it trusts (TrustedHeader).
	TrustHeight int64  `json:"trust_height"`
	TrustHash   string `json:"trust_hash"`
	// TrustPeriodHours bounds how old the trusted header may be (0: 168,
	// one week; keep it under the network's unbonding notion of trust).
	TrustPeriodHours int64 `json:"trust_period_hours,omitempty"`
}

// ErrJoin is a joining node's home or settings that can't be used.
var ErrJoin = errors.New("chain: cannot join the network")

// JoinOptions make a joining node's home.
type JoinOptions struct {
	Moniker string
	// Genesis is the network's genesis file, as every node has it.
	Genesis []byte
	// P2PListen, RPCListen and GatewayListen are the node's addresses.
	P2PListen, RPCListen, GatewayListen string
	// Peers are existing nodes, "nodeid@host:port".
	Peers []string
	// StateSync names the header to trust and the RPC servers.
	StateSync StateSync
	// Snapshots are the snapshots this node will keep for later joiners.
	Snapshots Snapshots
}

// Joiner is a joining node's public description, for the operators'
// proposal.
type Joiner struct {
	PubKey     []byte // CometBFT ed25519 validator key
	Descriptor contract.NodeDescriptor
}

// InitJoiner makes the home of a node joining a running network: fresh
// keys of its own, sealed in its vault under kek; no custody share (the
// custody group is the genesis ceremony's until resharing, see
// docs/key-custody.md "Resharing"), so the node validates and serves the
// ledger but releases no copy keys.
func InitJoiner(home string, kek []byte, o JoinOptions, rnd io.Reader) (*Joiner, error) {
	const op = "chain.InitJoiner"
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := os.Stat(filepath.Join(home, FileVault)); err == nil {
		return nil, fmt.Errorf("%s: %w: %s already holds a node", op, ErrHome, home)
	}
	gen, err := types.GenesisDocFromJSON(o.Genesis)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: genesis: %v", op, ErrJoin, err)
	}
	if err := o.StateSync.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cons, nodeKey := ed25519.GenPrivKey(), ed25519.GenPrivKey()
	gw, err := ecdh.X25519().GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sb, err := signer.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	ck, err := ecdh.X25519().GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	dkg := custody.NewDKGKey()
	defer dkg.Wipe()
	dk, err := dkg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sec := vault.Secrets{ConsensusKey: cons.Bytes(), NodeKey: nodeKey.Bytes(), GatewayKey: gw.Bytes(), SignerKey: sb, DKGKey: dk, CustodyKey: ck.Bytes()}
	defer sec.Wipe()
	ss := o.StateSync
	nc := NodeConfig{Moniker: o.Moniker, P2PListen: o.P2PListen, RPCListen: o.RPCListen, GatewayListen: o.GatewayListen,
		Peers: o.Peers, Timeouts: LANTimeouts, Snapshots: &o.Snapshots, StateSync: &ss}
	if err := writeHome(home, &nc, gen, kek, &sec, rnd); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sp, _ := signer.PublicKey.Bytes()
	return &Joiner{PubKey: cons.PubKey().Bytes(), Descriptor: contract.NodeDescriptor{
		Moniker: o.Moniker, NodeID: string(p2p.PubKeyToID(nodeKey.PubKey())), P2P: o.P2PListen, Gateway: o.GatewayListen,
		NoiseKey: gw.PublicKey().Bytes(), SignerKey: sp, CustodyKey: ck.PublicKey().Bytes(), DKGKey: dkg.Public(),
	}}, nil
}

func (s *StateSync) check() error {
	if len(s.RPCServers) < 2 {
		return fmt.Errorf("%w: state sync needs two or more RPC servers of the network for its light client, got %d", ErrJoin, len(s.RPCServers))
	}
	if s.TrustHeight < 1 || len(s.TrustHash) != 64 {
		return fmt.Errorf("%w: state sync needs a trusted height and its 64-hex-digit header hash (validatord trusted-header on an operator's node)", ErrJoin)
	}
	return nil
}

// apply turns the settings on in CometBFT's configuration: state sync,
// then block sync from the snapshot's height.
func (s *StateSync) apply(c *cfg.Config) {
	c.StateSync.Enable = true
	c.StateSync.RPCServers = s.RPCServers
	c.StateSync.TrustHeight = s.TrustHeight
	c.StateSync.TrustHash = strings.ToLower(s.TrustHash)
	c.StateSync.TrustPeriod = 168 * time.Hour
	if s.TrustPeriodHours > 0 {
		c.StateSync.TrustPeriod = time.Duration(s.TrustPeriodHours) * time.Hour
	}
	c.StateSync.TempDir = filepath.Join(c.RootDir, DirData, "statesync")
}

// snapshotOptions are the contract's settings from node.json, for the node
// at slot of n validators (storeSlot).
func snapshotOptions(home string, nc *NodeConfig, slot, n int) contract.SnapshotOptions {
	s := DefaultSnapshots
	if nc.Snapshots != nil {
		s = *nc.Snapshots
	}
	return contract.SnapshotOptions{Dir: filepath.Join(home, DirData, "snapshots"), Interval: s.Interval,
		Offset: snapshotOffset(s.Interval, slot, n), Keep: s.Keep, ChunkSize: s.ChunkBytes}
}

// TrustedHeader reads the latest committed header's height and hash from
// a node's RPC (an operator's own node, which it trusts), for a joining
// node's StateSync.
func TrustedHeader(ctx context.Context, rpc string) (int64, string, error) {
	const op = "chain.TrustedHeader"
	c, err := rpchttp.New(rpc)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", op, err)
	}
	res, err := c.Commit(ctx, nil)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %s: %w", op, rpc, err)
	}
	return res.Height, res.Header.Hash().String(), nil
}

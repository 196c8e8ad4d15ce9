package chain

import (
	"copystation/custody"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/types"

	"copystation/atomicfile"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// Files in a node's home.
const (
	FileNodeConfig = "node.json"
	FileGenesis    = "genesis.json"
	FileVault      = "vault.bin"
	DirData        = "data"
)

// NodeConfig is a node's node.json.
type NodeConfig struct {
	Moniker string `json:"moniker"`
	// P2PListen is the CometBFT peer address, host:port.
	P2PListen string `json:"p2p_listen"`
	// RPCListen is CometBFT's RPC address (tcp://127.0.0.1:PORT) for the
	// operator commands; empty turns it off.
	RPCListen string `json:"rpc_listen,omitempty"`
	// GatewayListen is where the station gateway listens (host:port).
	GatewayListen string `json:"gateway_listen,omitempty"`
	// Peers are the other validators, "nodeid@host:port".
	Peers    []string `json:"peers,omitempty"`
	Timeouts Timeouts `json:"timeouts"`
	// Snapshots are kept for joining nodes; nil: DefaultSnapshots.
	Snapshots *Snapshots `json:"snapshots,omitempty"`
	// StateSync makes a joining node's first start catch up from a
	// snapshot (ignored once the node has a ledger).
	StateSync *StateSync `json:"state_sync,omitempty"`
	// GatherMS is how long the gateway's ledger holds a station's spend
	// or report for others to share its batch transaction
	// (docs/contract.md, "Batches"): 0 sends each alone; nil is the
	// default (ledger.DefaultGatherWindow).
	GatherMS *int64 `json:"gather_ms,omitempty"`
	// BackgroundMiBs is the rate, MiB a second, at which the node's stores
	// write their flushes and compactions and the contract reads its
	// snapshots while nothing waits on them (pace.go): 0 leaves them
	// unpaced; nil is DefaultBackgroundMiBs.
	BackgroundMiBs *int64 `json:"background_mib_s,omitempty"`
	// RelayTxs makes the node send its peers every transaction it holds,
	// its peers' too, as CometBFT's mempool reactor does, instead of only
	// those its own clients submitted (gossip.go): for a node that is not
	// connected to every validator.
	RelayTxs bool `json:"relay_txs,omitempty"`
}

// MaxBackgroundMiBs bounds node.json's background_mib_s: above it, pacing
// would not slow a disk's writes.
const MaxBackgroundMiBs = 1 << 14

// backgroundRate is the node's background rate, MiB a second.
func (c *NodeConfig) backgroundRate() int64 {
	if c.BackgroundMiBs == nil {
		return DefaultBackgroundMiBs
	}
	return *c.BackgroundMiBs
}

// MaxGatherMS bounds node.json's gather_ms: a spend waits that long before
// it is even broadcast.
const MaxGatherMS = 1000

// DefaultSnapshots are a node's snapshots unless node.json says otherwise.
var DefaultSnapshots = Snapshots{Interval: 1000, Keep: 2}

// Timeouts are CometBFT's consensus timeouts, in milliseconds.
type Timeouts struct {
	ProposeMS   int64 `json:"propose_ms"`
	PrevoteMS   int64 `json:"prevote_ms"`
	PrecommitMS int64 `json:"precommit_ms"`
	CommitMS    int64 `json:"commit_ms"`
}

// LANTimeouts suit nodes on one LAN or on loopback: round trips are well
// under a millisecond. No commit pause: a node starts the next height as
// soon as it has committed this one (CometBFT's recommended form of
// skip_timeout_commit), since the pause sat whole in every spend's latency
// and batched no more than a busy network's own heights do
// (docs/benchmarks.md, issue 17, seventh session). The propose (1 s) and
// vote (300 ms) timeouts are kept well above what a round needs, because
// on a busy machine a slow proposer or voter otherwise makes the round
// repeat, which costs far more.
var LANTimeouts = Timeouts{ProposeMS: 1000, PrevoteMS: 300, PrecommitMS: 300, CommitMS: 0}

// GenesisOptions shape a new network's genesis.
type GenesisOptions struct {
	ChainID    string
	Operators  [][]byte // SEC1 P-256 operator keys; at least one
	Issuers    []contract.Issuer
	MaxRetries uint32 // retries of a spoiled copy; 0 means 3
	Time       time.Time
	// Threshold is t of the custody group; 0 means f+1 of n = 3f+1
	// (custody.DefaultThreshold).
	Threshold int
	// NodeOperators[i], if given, is the operator key governing node i's
	// validator (its vote on validator set changes); the rest are governed
	// by Operators[0].
	NodeOperators [][]byte
	// DKGRand, tests only, is the stream the genesis DKG draws each node's
	// secret from (custody.RunInProcessFrom), so a test network has the same
	// custody group key, hence the same codewords, on every run; nil, as
	// every command leaves it, is crypto/rand. Outside a test binary a
	// non-nil stream is refused.
	DKGRand io.Reader
}

// ErrHome is returned for a home directory that can't be used.
var ErrHome = errors.New("chain: unusable home directory")

// Testnet makes n node homes under dir (dir/node0 ... dir/node(n-1)) for a
// network on loopback with free ports (see allocatePorts), all sharing one genesis and the same
// network secrets, each with its own validator and p2p keys. kek seals every
// node's vault (a test network; real operators each use their own).
func Testnet(dir string, n int, kek []byte, g GenesisOptions, rnd io.Reader) ([]string, error) {
	if n < 1 || n > 64 {
		return nil, fmt.Errorf("chain.Testnet: %w: %d nodes, want 1 to 64", ErrHome, n)
	}
	homes := make([]string, n)
	for i := range homes {
		homes[i] = filepath.Join(dir, fmt.Sprintf("node%d", i))
	}
	return homes, InitHomes(homes, kek, g, 0, rnd)
}

// InitHomes makes one node home per path, as Testnet does. Node i listens
// on loopback ports basePort+3i (p2p), +1 (RPC) and +2 (gateway); basePort
// 0 picks a free block below the kernel's ephemeral range.
func InitHomes(homes []string, kek []byte, g GenesisOptions, basePort int, rnd io.Reader) error {
	n := len(homes)
	if rnd == nil {
		rnd = rand.Reader
	}
	if g.ChainID == "" {
		g.ChainID = "copystation-local"
	}
	if g.MaxRetries == 0 {
		g.MaxRetries = 3
	}
	all, err := allocatePorts(n*PortsPerNode, basePort)
	if err != nil {
		return fmt.Errorf("chain.InitHomes: %w", err)
	}
	cfgs := make([]NodeConfig, n)
	secrets := make([]vault.Secrets, n)
	dkgKeys := make([]*custody.DKGKey, n)
	defer func() {
		for _, k := range dkgKeys {
			if k != nil {
				k.Wipe()
			}
		}
	}()
	var vals []types.GenesisValidator
	var peers []string
	for i := range n {
		if _, err := os.Stat(filepath.Join(homes[i], FileVault)); err == nil {
			return fmt.Errorf("chain.InitHomes: %w: %s already holds a node", ErrHome, homes[i])
		}
		cons, nodeKey := ed25519.GenPrivKey(), ed25519.GenPrivKey()
		gw, err := ecdh.X25519().GenerateKey(rnd)
		if err != nil {
			return fmt.Errorf("chain.InitHomes: %w", err)
		}
		signer, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
		if err != nil {
			return fmt.Errorf("chain.InitHomes: %w", err)
		}
		sb, err := signer.Bytes()
		if err != nil {
			return fmt.Errorf("chain.InitHomes: %w", err)
		}
		ck, err := ecdh.X25519().GenerateKey(rnd)
		if err != nil {
			return fmt.Errorf("chain.InitHomes: %w", err)
		}
		dkgKeys[i] = custody.NewDKGKey()
		dk, err := dkgKeys[i].MarshalBinary()
		if err != nil {
			return fmt.Errorf("chain.InitHomes: %w", err)
		}
		secrets[i] = vault.Secrets{ConsensusKey: cons.Bytes(), NodeKey: nodeKey.Bytes(),
			GatewayKey: gw.Bytes(), SignerKey: sb, DKGKey: dk, CustodyKey: ck.Bytes()}
		ports := all[i*PortsPerNode:]
		cfgs[i] = NodeConfig{
			Moniker:       fmt.Sprintf("node%d", i),
			P2PListen:     fmt.Sprintf("127.0.0.1:%d", ports[0]),
			RPCListen:     fmt.Sprintf("tcp://127.0.0.1:%d", ports[1]),
			GatewayListen: fmt.Sprintf("127.0.0.1:%d", ports[2]),
			Timeouts:      LANTimeouts,
		}
		vals = append(vals, types.GenesisValidator{Address: cons.PubKey().Address(), PubKey: cons.PubKey(), Power: 10, Name: cfgs[i].Moniker})
		id := p2p.PubKeyToID(nodeKey.PubKey())
		peers = append(peers, fmt.Sprintf("%s@%s", id, cfgs[i].P2PListen))
	}
	cust, err := ceremony(g, cfgs, secrets, dkgKeys, rnd)
	if err != nil {
		return fmt.Errorf("chain.InitHomes: %w", err)
	}
	gen, err := genesisDoc(g, vals, cust)
	if err != nil {
		return fmt.Errorf("chain.InitHomes: %w", err)
	}
	for i := range n {
		for j, p := range peers {
			if j != i {
				cfgs[i].Peers = append(cfgs[i].Peers, p)
			}
		}
		if err := writeHome(homes[i], &cfgs[i], gen, kek, &secrets[i], rnd); err != nil {
			return fmt.Errorf("chain.InitHomes: %w", err)
		}
	}
	return nil
}

func genesisDoc(g GenesisOptions, vals []types.GenesisValidator, cust *contract.Custody) (*types.GenesisDoc, error) {
	if len(g.Operators) == 0 {
		return nil, fmt.Errorf("%w: the genesis needs at least one operator key", ErrHome)
	}
	var gvals []contract.GenesisValidator
	for i, op := range g.NodeOperators {
		if i < len(vals) && op != nil {
			gvals = append(gvals, contract.GenesisValidator{PubKey: vals[i].PubKey.Bytes(), Operator: op})
		}
	}
	state, err := json.Marshal(contract.Genesis{
		Params:     contract.Params{MaxRetries: g.MaxRetries},
		Operators:  g.Operators,
		Issuers:    g.Issuers,
		Custody:    cust,
		Validators: gvals,
	})
	if err != nil {
		return nil, err
	}
	t := g.Time
	if t.IsZero() {
		t = time.Now().UTC().Truncate(time.Second)
	}
	// Proposer-based timestamps: a block carries its proposer's clock,
	// checked by every validator against its own (synchrony parameters),
	// not the median time of the last commit's votes. With no empty
	// blocks, that median is as old as the last block, so after an idle
	// spell an expired challenge or grant would pass the contract's checks
	// against block time.
	params := types.DefaultConsensusParams()
	params.Feature.PbtsEnableHeight = 1
	doc := &types.GenesisDoc{
		GenesisTime: t, ChainID: g.ChainID, InitialHeight: 1,
		ConsensusParams: params, Validators: vals, AppState: state,
	}
	return doc, doc.ValidateAndComplete()
}

func writeHome(home string, cfg *NodeConfig, gen *types.GenesisDoc, kek []byte, s *vault.Secrets, rnd io.Reader) error {
	if err := os.MkdirAll(filepath.Join(home, DirData), 0o700); err != nil {
		return err
	}
	if err := vault.Save(filepath.Join(home, FileVault), kek, s, rnd); err != nil {
		return err
	}
	if err := gen.SaveAs(filepath.Join(home, FileGenesis)); err != nil {
		return err
	}
	return SaveNodeConfig(home, cfg)
}

// SaveNodeConfig writes a home's node.json.
func SaveNodeConfig(home string, c *NodeConfig) error {
	js, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(home, FileNodeConfig), js)
}

// LoadNodeConfig reads a home's node.json.
func LoadNodeConfig(home string) (*NodeConfig, error) {
	p, err := os.ReadFile(filepath.Join(home, FileNodeConfig))
	if err != nil {
		return nil, fmt.Errorf("chain.LoadNodeConfig: %w (run 'validatord init --home %s' first)", err, home)
	}
	var c NodeConfig
	if err := json.Unmarshal(p, &c); err != nil {
		return nil, fmt.Errorf("chain.LoadNodeConfig: %s: %w", FileNodeConfig, err)
	}
	if g := c.GatherMS; g != nil && (*g < 0 || *g > MaxGatherMS) {
		return nil, fmt.Errorf("chain.LoadNodeConfig: %s: gather_ms is %d; give 0 (each spend sent alone) to %d milliseconds, or leave it out for the default", FileNodeConfig, *g, MaxGatherMS)
	}
	if r := c.BackgroundMiBs; r != nil && (*r < 0 || *r > MaxBackgroundMiBs) {
		return nil, fmt.Errorf("chain.LoadNodeConfig: %s: background_mib_s is %d; give 0 (unpaced) to %d MiB a second, or leave it out for the default (%d)", FileNodeConfig, *r, MaxBackgroundMiBs, DefaultBackgroundMiBs)
	}
	return &c, nil
}

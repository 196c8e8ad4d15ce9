package validatord

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cometbft/cometbft/types"

	"copystation/atomicfile"
	"copystation/protocol"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// Files init and testnet write beside the homes.
const (
	FileOperatorKey = "operator.key"
	FileIssuerKey   = "issuer.key"
)

func (e *env) signingKey(path string) (*ecdsa.PrivateKey, error) {
	kek, err := e.kek()
	if err != nil {
		return nil, err
	}
	return vault.LoadSigningKey(path, kek)
}

// loadOrMakeKEK reads the KEK file or, when absent and create is set, makes
// one (mode 0600) and says loudly where the plaintext key now lies.
func (e *env) loadOrMakeKEK(create bool) ([]byte, error) {
	if e.kekFile != "" {
		if _, err := os.Stat(e.kekFile); errors.Is(err, os.ErrNotExist) {
			if !create {
				return nil, usagef("--kek-file %s does not exist: give an existing KEK, or add --make-kek to create one (in plaintext, to seal with systemd-creds and shred)", e.kekFile)
			}
			k := make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				return nil, err
			}
			if err := os.MkdirAll(filepath.Dir(e.kekFile), 0o700); err != nil {
				return nil, err
			}
			// Atomic and synced: a power cut after init must not leave a
			// vault whose KEK file is empty or half written.
			if err := atomicfile.Write(e.kekFile, []byte(hex.EncodeToString(k)+"\n")); err != nil {
				return nil, fmt.Errorf("key-encryption key: %w", err)
			}
			fmt.Fprintf(e.stderr, "warning: wrote the node's key-encryption key IN PLAINTEXT to %s; seal it (systemd-creds encrypt --name=%s) and shred it\n", e.kekFile, kekCredName)
			if e.home != "" && inside(e.home, e.kekFile) {
				fmt.Fprintf(e.stderr, "warning: %s is inside the home %s, beside the vault it opens: move it out now\n", e.kekFile, e.home)
			}
			return k, nil
		}
	}
	return e.kek()
}

// inside says whether path lies in dir.
func inside(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// nodeInfo is what an operator hands to stations: where the node is and
// the keys stations pin.
type nodeInfo struct {
	Home       string `json:"home"`
	NodeID     string `json:"node_id"`     // KeyID of the node's signing key
	SignerKey  string `json:"signer_key"`  // SEC1 hex
	NoiseKey   string `json:"noise_key"`   // X25519 public, hex
	Gateway    string `json:"gateway"`     // host:port
	RPC        string `json:"rpc"`         // CometBFT RPC
	P2P        string `json:"p2p"`         // CometBFT peers
	ChainID    string `json:"chain_id"`    //
	OperatorID string `json:"operator_id"` //
	// CustodyGroup is the network's custody group from genesis (hex):
	// stations pin it as custody_group (docs/key-custody.md).
	CustodyGroup string `json:"custody_group,omitempty"`
}

func describe(home string, kek []byte, chainID, operatorID string) (*nodeInfo, error) {
	nc, err := chain.LoadNodeConfig(home)
	if err != nil {
		return nil, err
	}
	s, err := vault.Load(filepath.Join(home, chain.FileVault), kek)
	if err != nil {
		return nil, err
	}
	defer s.Wipe()
	gw, err := ecdh.X25519().NewPrivateKey(s.GatewayKey)
	if err != nil {
		return nil, err
	}
	sk, err := ecdsa.ParseRawPrivateKey(ecdhCurve(), s.SignerKey)
	if err != nil {
		return nil, err
	}
	pub, _ := sk.PublicKey.Bytes()
	return &nodeInfo{Home: home, NodeID: protocol.KeyID(pub), SignerKey: hex.EncodeToString(pub),
		NoiseKey: hex.EncodeToString(gw.PublicKey().Bytes()), Gateway: nc.GatewayListen, RPC: nc.RPCListen,
		P2P: nc.P2PListen, ChainID: chainID, OperatorID: operatorID, CustodyGroup: custodyGroup(home)}, nil
}

// custodyGroup is the custody group in the home's genesis, hex; empty if
// the home has none (made before the ceremony, or still awaiting `dkg run`).
func custodyGroup(home string) string {
	doc, err := types.GenesisDocFromFile(filepath.Join(home, chain.FileGenesis))
	if err != nil {
		return ""
	}
	var g contract.Genesis
	if json.Unmarshal(doc.AppState, &g) != nil || g.Custody == nil {
		return ""
	}
	return hex.EncodeToString(g.Custody.Group)
}

// makeNetwork writes node homes, the operator and issuer keys, and returns
// the nodes' descriptions.
func makeNetwork(homes []string, keyDir string, kek []byte, chainID string, basePort int, dkgRand io.Reader) ([]*nodeInfo, error) {
	op, err := vault.NewSigningKey(filepath.Join(keyDir, FileOperatorKey), kek, nil)
	if err != nil {
		return nil, err
	}
	is, err := vault.NewSigningKey(filepath.Join(keyDir, FileIssuerKey), kek, nil)
	if err != nil {
		return nil, err
	}
	opPub, _ := op.PublicKey.Bytes()
	isPub, _ := is.PublicKey.Bytes()
	g := chain.GenesisOptions{ChainID: chainID, Operators: [][]byte{opPub}, Issuers: []contract.Issuer{{Key: isPub, Name: "first issuer"}}, DKGRand: dkgRand}
	if err := chain.InitHomes(homes, kek, g, basePort, nil); err != nil {
		return nil, err
	}
	var out []*nodeInfo
	for _, h := range homes {
		d, err := describe(h, kek, g.ChainID, protocol.KeyID(opPub))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func cmdInit(e *env, args []string) error {
	e.homeFlags()
	chainID := e.fs.String("chain-id", "copystation", "network name")
	p2p := e.fs.String("p2p", "127.0.0.1:26656", "CometBFT peer address")
	rpc := e.fs.String("rpc", "tcp://127.0.0.1:26657", "CometBFT RPC address (keep it on loopback)")
	gw := e.fs.String("gateway", "127.0.0.1:7700", "station gateway address")
	moniker := e.fs.String("moniker", "node0", "the node's name in a network's genesis (distinct per node)")
	makeKEK := e.fs.Bool("make-kek", false, "create --kek-file if absent (written in plaintext: seal it with systemd-creds, then shred it)")
	if err := e.parse(args, "home"); err != nil {
		return err
	}
	kek, err := e.loadOrMakeKEK(*makeKEK)
	if err != nil {
		return err
	}
	infos, err := makeNetwork([]string{e.home}, e.home, kek, *chainID, 0, e.dkgRand)
	if err != nil {
		return err
	}
	nc, err := chain.LoadNodeConfig(e.home)
	if err != nil {
		return err
	}
	nc.P2PListen, nc.RPCListen, nc.GatewayListen, nc.Moniker = *p2p, *rpc, *gw, *moniker
	if err := chain.SaveNodeConfig(e.home, nc); err != nil {
		return err
	}
	d := infos[0]
	d.P2P, d.RPC, d.Gateway = *p2p, *rpc, *gw
	e.print(d, fmt.Sprintf("initialised node %s in %s\n  chain %s, operator %s\n  gateway %s, noise key %s\n  operator and issuer keys: %s, %s (sealed under the KEK)",
		d.NodeID, e.home, d.ChainID, d.OperatorID, d.Gateway, d.NoiseKey,
		filepath.Join(e.home, FileOperatorKey), filepath.Join(e.home, FileIssuerKey)))
	return nil
}

func cmdTestnet(e *env, args []string) error {
	n := e.fs.Int("nodes", 4, "number of nodes")
	out := e.fs.String("out", "", "directory for the node homes")
	e.fs.StringVar(&e.kekFile, "kek-file", "", "KEK file for every node (default OUT/kek; a test network only)")
	chainID := e.fs.String("chain-id", "copystation-testnet", "network name")
	basePort := e.fs.Int("base-port", 0, "node i listens on 127.0.0.1 ports BASE+3i (p2p), +1 (RPC), +2 (gateway); 0 picks free ports below the ephemeral range")
	if err := e.parse(args, "out"); err != nil {
		return err
	}
	if *n < 1 || *n > 64 {
		return usagef("--nodes %d: want 1 to 64", *n)
	}
	if *basePort != 0 && (*basePort < 1024 || *basePort > 65535-chain.PortsPerNode**n) {
		return usagef("--base-port %d: want 1024 to %d for %d nodes (or 0)", *basePort, 65535-chain.PortsPerNode**n, *n)
	}
	if e.kekFile == "" {
		e.kekFile = filepath.Join(*out, "kek")
	}
	kek, err := e.loadOrMakeKEK(true) // a test network keeps its KEK beside the homes
	if err != nil {
		return err
	}
	homes := make([]string, *n)
	for i := range homes {
		homes[i] = filepath.Join(*out, fmt.Sprintf("node%d", i))
	}
	infos, err := makeNetwork(homes, *out, kek, *chainID, *basePort, e.dkgRand)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("made %d nodes in %s (KEK %s: a test network only)\n  operator and issuer keys: %s, %s (sealed under the KEK; ledger commands with --home %s find them there)",
		*n, *out, e.kekFile, filepath.Join(*out, FileOperatorKey), filepath.Join(*out, FileIssuerKey), homes[0])
	for _, d := range infos {
		text += fmt.Sprintf("\n  %s: node %s gateway %s noise %s rpc %s p2p %s", d.Home, d.NodeID, d.Gateway, d.NoiseKey, d.RPC, d.P2P)
	}
	e.print(infos, text)
	return nil
}

func cmdStart(e *env, args []string) error {
	e.homeFlags()
	metrics := e.fs.String("metrics", "", "serve Prometheus metrics on this address (e.g. 127.0.0.1:26660); empty: none")
	if err := e.parse(args, "home"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, Config{Home: e.home, KEK: kek, Log: e.stderr, MetricsAddr: *metrics}, Deps{})
}

func ecdhCurve() elliptic.Curve { return elliptic.P256() }

package simstation

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/flynn/noise"

	"copystation/custody/playertree"
	"copystation/stationd/config"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
	"copystation/validatord/gateway"
	"copystation/validatord/ledger"
	"copystation/validatord/players"
)

// Network is one embedded validation node with its station gateway on
// loopback.
type Network struct {
	Node *embedded.Node
	Addr string
	// KEK seals the node's vault (as an operator's --kek-file).
	KEK     []byte
	noise   noise.DHKey
	signPub []byte
	stop    context.CancelFunc
	done    chan error
}

// StartNetwork starts a node with its home in dir and its gateway on a free
// loopback port.
func StartNetwork(ctx context.Context, dir string) (*Network, error) {
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		return nil, err
	}
	n, err := embedded.Start(ctx, dir, embedded.Options{Tune: fastBlocks, KEK: kek})
	if err != nil {
		return nil, fmt.Errorf("simstation: validation node: %w", err)
	}
	// The gateway runs on the node's own keys from its vault, as
	// `validatord start` runs it.
	gk, err := ecdh.X25519().NewPrivateKey(n.GatewayKey)
	if err != nil {
		n.Stop()
		return nil, fmt.Errorf("simstation: gateway key: %w", err)
	}
	nk := noise.DHKey{Private: n.GatewayKey, Public: gk.PublicKey().Bytes()}
	signer := n.Signer
	pub, _ := signer.PublicKey.Bytes()
	nw := &Network{Node: n, Addr: "127.0.0.1:0", KEK: kek, noise: nk, signPub: pub}
	if err := nw.StartGateway(); err != nil {
		n.Stop()
		return nil, err
	}
	return nw, nil
}

// StartGateway starts the node's station gateway on the network's address
// (a free loopback port the first time, the same one after StopGateway).
func (nw *Network) StartGateway() error {
	gw, err := gateway.New(gateway.Config{NoiseKey: nw.noise, Signer: nw.Node.Signer, Ledger: nw.Node.Ledger, Random: rand.Reader})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", nw.Addr)
	if err != nil {
		return fmt.Errorf("simstation: gateway: %w", err)
	}
	gctx, cancel := context.WithCancel(context.Background())
	nw.Addr, nw.stop, nw.done = ln.Addr().String(), cancel, make(chan error, 1)
	go func() { nw.done <- gw.Serve(gctx, ln) }()
	return nil
}

// StopGateway stops the station gateway (the node keeps running): to a
// station the network is unreachable until StartGateway.
func (nw *Network) StopGateway() error {
	if nw.stop == nil {
		return nil
	}
	nw.stop()
	nw.stop = nil
	return <-nw.done
}

// fastBlocks tunes consensus for one node on loopback.
func fastBlocks(c *cmtcfg.Config) {
	c.Consensus.TimeoutPropose = 200 * time.Millisecond
	c.Consensus.TimeoutCommit = 50 * time.Millisecond
	// An idle node still makes a block a second, so a lost wake-up can
	// never stall a spend; a transaction is proposed at once.
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.CreateEmptyBlocksInterval = time.Second
}

// Pin is the node as a station's configuration names it.
func (nw *Network) Pin() config.Node {
	return config.Node{Address: nw.Addr, StaticKey: hex.EncodeToString(nw.noise.Public), SigningKey: hex.EncodeToString(nw.signPub)}
}

// Group is the network's custody group as genesis holds it, what a
// station pins at enrollment.
func (nw *Network) Group() []byte {
	c, err := nw.Node.App.Custody()
	if err != nil {
		return nil
	}
	return c.Group
}

// Close stops the gateway (if running) and the node.
func (nw *Network) Close() error {
	return errors.Join(nw.StopGateway(), nw.Node.Stop())
}

// Enroll enrolls a station's TPM keys for BD-R and BD-RE.
func (nw *Network) Enroll(ctx context.Context, signingKey, agreementKey []byte) (string, error) {
	return nw.Node.Operator.EnrollStation(ctx, signingKey, agreementKey, []uint16{0x41, 0x43}, nil)
}

// Token reads a token's state from the committed ledger.
func (nw *Network) Token(id string) (*contract.Token, error) { return nw.Node.App.Token(id) }

// Copy reads a job's copy record (its attempts) from the committed ledger.
func (nw *Network) Copy(jobID string) (*contract.Copy, error) { return nw.Node.App.Copy(jobID) }

// Height is the node's last committed height.
func (nw *Network) Height() int64 { h, _ := nw.Node.App.LastCommit(); return h }

// Players is the [players] table a station's configuration pins: the
// network's player tree, from the committed genesis (its group key is the
// pinned custody group's).
func (nw *Network) Players() (config.Players, error) {
	p, err := nw.Node.App.Params()
	if err != nil {
		return config.Players{}, err
	}
	tr := p.Players()
	return config.Players{Tree: tr.ID, Depth: int(tr.Depth)}, nil
}

// EnrollPlayer enrolls a player at leaf and makes its device keys the way
// the validatord player commands do: the enrollment transaction, the
// node's partials from its vault share sealed to a fresh maker key, the
// maker's combination checked against the group key.
func (nw *Network) EnrollPlayer(ctx context.Context, leaf uint32) (*playertree.DeviceKeys, error) {
	p, err := nw.Node.App.Params()
	if err != nil {
		return nil, err
	}
	tr := p.Players()
	maker, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	body := contract.EnrollPlayerBody{Tree: tr.ID, Depth: tr.Depth, Leaf: leaf, Maker: "demo-maker", MakerKey: maker.PublicKey().Bytes()}
	if _, err := nw.Node.Operator.Do(ctx, "player enroll", contract.TxEnrollPlayer, body); err != nil {
		return nil, err
	}
	rec, err := nw.Node.App.Player(tr.ID, leaf)
	if err != nil {
		return nil, err
	}
	f, _, err := players.Partials(nw.Node.Keys, tr, rec)
	if err != nil {
		return nil, err
	}
	c, err := nw.Node.App.Custody()
	if err != nil {
		return nil, err
	}
	ce, err := nw.Node.App.CustodyEpoch()
	if errors.Is(err, contract.ErrNotFound) {
		ce, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	g, _, err := ledger.EpochGroup(c, nw.Node.ChainID, ce) // the partials are of the epoch's shares
	if err != nil {
		return nil, err
	}
	return players.Keys(maker, g, [][]byte{f})
}

// RevokePlayer revokes leaf from the block that commits the revocation
// and returns that height.
func (nw *Network) RevokePlayer(ctx context.Context, leaf uint32, reason string) (int64, error) {
	p, err := nw.Node.App.Params()
	if err != nil {
		return 0, err
	}
	res, err := nw.Node.Operator.Do(ctx, "player revoke", contract.TxRevokePlayer, contract.RevokePlayerBody{Tree: p.Players().ID, Leaf: leaf, Reason: reason})
	if err != nil {
		return 0, err
	}
	return res.Height, nil
}

// Pins are what a station enrolled with this network pins in its
// configuration: the node, the custody group and the player tree.
func (nw *Network) Pins() (nodes []config.Node, group []byte, players config.Players, err error) {
	if players, err = nw.Players(); err != nil {
		return nil, nil, config.Players{}, err
	}
	return []config.Node{nw.Pin()}, nw.Group(), players, nil
}

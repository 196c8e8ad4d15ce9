package genesis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"copystation/atomicfile"
	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// DKGOptions are one node's inputs to `validatord dkg run`.
type DKGOptions struct {
	Home     string
	KEK      []byte
	Ceremony *Ceremony
	Exchange string        // the shared directory
	Timeout  time.Duration // for the whole run; 0: 10 minutes
	Poll     time.Duration // how often to look for the others' files; 0: 500 ms
	Rand     io.Reader     // for the vault's sealing; nil: crypto/rand
}

// DKGOutcome is what the node publishes once done.
type DKGOutcome struct {
	Node     int    // this node's index
	GroupKey []byte // the group public key (G2, compressed)
	Genesis  []byte // the genesis.json written, the same on every node
	// Rejected names the exchange files dropped as unparsable or wrongly
	// signed (custody.Ceremony.Rejected): worth reporting to the others.
	Rejected []string
}

// RunDKG runs this node's side of the ceremony's DKG through the exchange
// directory, in one process (kyber's DKG state can't be saved between
// phases), then seals the node's share into its own vault, writes the
// network's genesis.json and the peers into node.json.
func RunDKG(ctx context.Context, o DKGOptions) (*DKGOutcome, error) {
	const op = "genesis.RunDKG"
	out, err := runDKG(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

func runDKG(ctx context.Context, o DKGOptions) (*DKGOutcome, error) {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Poll == 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	c := o.Ceremony
	vaultPath := filepath.Join(o.Home, chain.FileVault)
	nc, err := chain.LoadNodeConfig(o.Home)
	if err != nil {
		return nil, err
	}
	s, err := vault.Load(vaultPath, o.KEK)
	if err != nil {
		return nil, err
	}
	defer s.Wipe()
	me, _, err := describeSecrets(nc, s)
	if err != nil {
		return nil, err
	}
	self := c.index(me)
	if self < 0 {
		return nil, fmt.Errorf("%w: no descriptor in the ceremony file matches this home (%s, node ID %s); export it again with 'validatord descriptor' if node.json changed", ErrNotInCeremony, me.Moniker, me.NodeID)
	}
	key, err := custody.UnmarshalDKGKey(s.DKGKey)
	if err != nil {
		return nil, err
	}
	defer key.Wipe()
	cc := custody.CeremonyConfig{Threshold: c.Threshold, Nonce: c.Nonce}
	for i := range c.Nodes {
		p, err := custody.ParseDKGPublic(c.Nodes[i].Descriptor.DKGKey)
		if err != nil {
			return nil, err
		}
		cc.Nodes = append(cc.Nodes, p)
	}
	x := &exchange{dir: o.Exchange, n: len(c.Nodes), self: self, poll: o.Poll}
	if err := x.checkFresh(); err != nil {
		x.abort(err)
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, fmt.Errorf("--timeout %v passed", o.Timeout))
	defer cancel()
	res, rejected, err := dkgPhases(ctx, x, cc, key)
	if err != nil {
		// Tell the others, unless they are the cause (a timeout or their
		// own abort): then they know already.
		if !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrPeerAborted) {
			x.abort(err)
		}
		return nil, err
	}
	defer res.Share.Wipe()
	gen, err := c.networkGenesis(res.Group)
	if err != nil {
		return nil, err
	}
	if s.CustodyShare, err = res.Share.MarshalBinary(); err != nil {
		return nil, err
	}
	if err := vault.Save(vaultPath, o.KEK, s, o.Rand); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(o.Home, chain.FileGenesis), gen); err != nil {
		return nil, err
	}
	nc.Peers = nil
	for i := range c.Nodes {
		if d := &c.Nodes[i].Descriptor; i != self {
			nc.Peers = append(nc.Peers, d.NodeID+"@"+d.P2P)
		}
	}
	if err := chain.SaveNodeConfig(o.Home, nc); err != nil {
		return nil, err
	}
	return &DKGOutcome{Node: self, GroupKey: res.Group.KeyBytes(), Genesis: gen, Rejected: rejected}, nil
}

// dkgPhases runs custody.Ceremony's four steps, each fed every node's file
// of the phase before.
func dkgPhases(ctx context.Context, x *exchange, cc custody.CeremonyConfig, key *custody.DKGKey) (*custody.DKGResult, []string, error) {
	cer, err := custody.NewCeremony(cc, key)
	if err != nil {
		return nil, nil, err
	}
	res, err := phases(ctx, x, cer)
	var rejected []string
	for _, r := range cer.Rejected {
		rejected = append(rejected, r.Error())
	}
	return res, rejected, err
}

// session is one party's side of a DKG or of a resharing: custody.Ceremony
// and custody.Reshare have the same four steps, so both run through phases.
type session interface {
	Deal() ([]byte, error)
	Respond(deals [][]byte) ([]byte, error)
	Justify(responses [][]byte) ([]byte, error)
	Finish(justifications [][]byte) (*custody.DKGResult, error)
}

func phases(ctx context.Context, x *exchange, cer session) (*custody.DKGResult, error) {
	deal, err := cer.Deal()
	if err != nil {
		return nil, err
	}
	if err := x.publish(phaseDeal, deal); err != nil {
		return nil, err
	}
	steps := []struct {
		in, out string
		step    func([][]byte) ([]byte, error)
	}{
		{phaseDeal, phaseResponse, cer.Respond},
		{phaseResponse, phaseJustification, cer.Justify},
	}
	for _, st := range steps {
		in, err := x.collect(ctx, st.in)
		if err != nil {
			return nil, err
		}
		b, err := st.step(in)
		if err != nil {
			return nil, err
		}
		if err := x.publish(st.out, b); err != nil {
			return nil, err
		}
	}
	in, err := x.collect(ctx, phaseJustification)
	if err != nil {
		return nil, err
	}
	return cer.Finish(in)
}

// networkGenesis builds genesis.json from the ceremony file and the group
// alone, so every node writes the same bytes.
func (c *Ceremony) networkGenesis(g *custody.Group) ([]byte, error) {
	gb, err := g.MarshalBinary()
	if err != nil {
		return nil, err
	}
	cust := &contract.Custody{Threshold: c.Threshold, Group: gb}
	var vals []types.GenesisValidator
	for i := range c.Nodes {
		d := &c.Nodes[i].Descriptor
		pk := ed25519.PubKey(d.ValidatorKey)
		vals = append(vals, types.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: 10, Name: d.Moniker})
		cust.Nodes = append(cust.Nodes, contract.CustodyNode{Name: d.Moniker, CustodyKey: d.CustodyKey, DKGKey: d.DKGKey})
	}
	ops := make([][]byte, len(c.Operators))
	for i, k := range c.Operators {
		ops[i] = k
	}
	o := chain.GenesisOptions{ChainID: c.ChainID, Operators: ops, MaxRetries: c.MaxRetries, Time: c.GenesisTime, Threshold: c.Threshold}
	if len(ops) == len(vals) {
		// one operator key per node, in node order: each operator governs
		// its own node's validator (its vote on validator set changes)
		o.NodeOperators = ops
	}
	return chain.NetworkGenesis(o, vals, cust)
}

package chain

import (
	"crypto/ecdh"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"

	"copystation/custody"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// ceremony runs the genesis ceremony's distributed key generation among
// the new nodes (docs/key-custody.md, "Ceremony"): each node takes part
// with its own DKG key, the nodes exchange only the public bundles
// (custody.RunInProcess encodes and decodes every one), and each node's
// share goes into its own vault. It returns the public outcome for the
// genesis.
func ceremony(g GenesisOptions, cfgs []NodeConfig, secrets []vault.Secrets, keys []*custody.DKGKey, rnd io.Reader) (*contract.Custody, error) {
	n := len(keys)
	t := g.Threshold
	if t == 0 {
		t = custody.DefaultThreshold(n)
	}
	cc := custody.CeremonyConfig{Threshold: t, Nonce: make([]byte, sha256.Size)}
	if _, err := io.ReadFull(rnd, cc.Nonce); err != nil {
		return nil, err
	}
	out := &contract.Custody{Threshold: t}
	for i, k := range keys {
		pub, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			return nil, err
		}
		cc.Nodes = append(cc.Nodes, pub)
		ck, err := ecdh.X25519().NewPrivateKey(secrets[i].CustodyKey)
		if err != nil {
			return nil, err
		}
		out.Nodes = append(out.Nodes, contract.CustodyNode{Name: cfgs[i].Moniker, CustodyKey: ck.PublicKey().Bytes(), DKGKey: k.Public()})
	}
	var res []*custody.DKGResult
	var err error
	if g.DKGRand != nil {
		if !testing.Testing() { // a shipped command never fixes a network's secret
			return nil, fmt.Errorf("genesis ceremony: %w", custody.ErrFixedRand)
		}
		res, err = custody.RunInProcessFrom(cc, keys, g.DKGRand)
	} else {
		res, err = custody.RunInProcess(cc, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("genesis ceremony: %w", err)
	}
	for i, r := range res {
		if secrets[i].CustodyShare, err = r.Share.MarshalBinary(); err != nil {
			return nil, err
		}
		r.Share.Wipe()
	}
	if out.Group, err = res[0].Group.MarshalBinary(); err != nil {
		return nil, err
	}
	return out, nil
}

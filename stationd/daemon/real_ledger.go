package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/google/go-tpm/tpm2/transport"

	"copystation/ledgerclient"
	"copystation/stationd/config"
	"copystation/tpm"
)

// TPMLedger is a ClientLedger whose keys live in the station's TPM; Close
// releases the TPM.
type TPMLedger struct {
	ClientLedger
	Station *tpm.Station
	tpm     transport.TPMCloser
}

// Close flushes the station keys and closes the TPM.
func (l *TPMLedger) Close() error {
	return errors.Join(l.Station.Close(), l.tpm.Close())
}

// OpenStation opens the configured TPM and loads the station keys kept in
// StateDir/tpm. It never creates keys: a wrong state_dir or lost blobs
// would make a new, unenrolled identity, so it fails with
// tpm.ErrNotProvisioned ("run `stationd tpm init`") instead.
func OpenStation(cfg config.Config) (*tpm.Station, transport.TPMCloser, error) {
	t, err := tpm.Open(cfg.TPM.URI)
	if err != nil {
		return nil, nil, err
	}
	st, err := tpm.Load(t, filepath.Join(cfg.StateDir, "tpm"))
	if err != nil {
		t.Close()
		return nil, nil, err
	}
	return st, t, nil
}

// RealLedger is the default Deps.Ledger: the configured validation nodes,
// reached with the station's TPM-resident keys.
func RealLedger(cfg config.Config) (Ledger, error) {
	nodes := make([]ledgerclient.Node, 0, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		nk, err1 := hex.DecodeString(n.StaticKey)
		sk, err2 := hex.DecodeString(n.SigningKey)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("node[%d]: %w", i, err)
		}
		nodes = append(nodes, ledgerclient.Node{Address: n.Address, NoiseKey: nk, SigningKey: sk})
	}
	group, err := hex.DecodeString(cfg.CustodyGroup)
	if err != nil {
		return nil, fmt.Errorf("custody_group: %w", err)
	}
	st, t, err := OpenStation(cfg)
	if err != nil {
		return nil, err
	}
	c, err := ledgerclient.New(ledgerclient.Config{Nodes: nodes, Signer: st.Signer(), KeyExchanger: st.KeyExchanger(), Random: rand.Reader, ChainID: cfg.ChainID, Group: group})
	if err != nil {
		st.Close()
		t.Close()
		return nil, err
	}
	return &TPMLedger{ClientLedger: ClientLedger{C: c}, Station: st, tpm: t}, nil
}

package chain

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"copystation/custody"
	"copystation/keys"
	"copystation/validatord/keyservice"
	"copystation/validatord/vault"
)

// ErrStopped: the node has stopped, and with it wiped the key that opens
// its vault.
var ErrStopped = errors.New("chain: the node has stopped")

// nodeVault is the running node's vault as its key service reads it for a
// new epoch's share (keyservice.ShareVault): `validatord reshare run`
// seals the share there while the node runs. It keeps a copy of the KEK
// in memory only, as the node keeps the vault's other keys, and Stop
// wipes it; every read wipes what it opened but the share it returns.
type nodeVault struct {
	path string
	mu   sync.Mutex
	kek  []byte
}

var _ keyservice.ShareVault = (*nodeVault)(nil)

func newNodeVault(path string, kek []byte) *nodeVault {
	return &nodeVault{path: path, kek: append([]byte(nil), kek...)}
}

// Stamp is the vault file's size and modification time: every save
// (vault.Save, an atomic rename of a new file) changes it.
func (v *nodeVault) Stamp() (string, error) {
	fi, err := os.Stat(v.path)
	if err != nil {
		return "", fmt.Errorf("chain: vault: %w", err)
	}
	return fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano()), nil
}

// EpochShares opens the vault and returns its shares of epoch e.
func (v *nodeVault) EpochShares(e uint32) ([]*custody.KeyShare, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kek == nil {
		return nil, fmt.Errorf("chain: vault: %w", ErrStopped)
	}
	sec, err := vault.Load(v.path, v.kek)
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	defer sec.Wipe()
	var out []*custody.KeyShare
	for _, es := range sec.EpochShares {
		if es.Epoch != e {
			continue
		}
		ks, err := custody.UnmarshalKeyShare(es.Share)
		if err != nil {
			for _, k := range out {
				k.Wipe()
			}
			return nil, fmt.Errorf("chain: vault: custody share of epoch %d: %w", e, err)
		}
		out = append(out, ks)
	}
	return out, nil
}

func (v *nodeVault) wipe() {
	v.mu.Lock()
	defer v.mu.Unlock()
	keys.Zero(v.kek)
	v.kek = nil
}

package chain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"copystation/atomicfile"
	"copystation/keys"
	"copystation/validatord/vault"
)

// A node's backup (docs/validatord.md, "Backup and restore"): its vault's
// secrets and the files that make its home (node.json, genesis.json, the
// validator's last-sign state), sealed with AES-256-GCM under a backup key
// the operator keeps apart from the node (offline), never in plaintext.
// The ledger is not in it: a restored node catches up from its peers.

// Errors of backup and restore.
var (
	ErrBackupKey = errors.New("chain: the backup key must be 32 bytes")
	ErrBackup    = errors.New("chain: the backup does not open with this backup key (wrong key, or a damaged or foreign file)")
)

const (
	backupMagic   = "copystation validatord backup"
	backupVersion = 1
	// MaxBackupBytes bounds a backup file: the secrets and three small
	// files (a genesis with a custody group is tens of KiB).
	MaxBackupBytes = 4 << 20
)

// backup is the sealed bundle.
type backup struct {
	Secrets    *vault.Secrets `json:"secrets"`
	NodeConfig []byte         `json:"node_json"`
	Genesis    []byte         `json:"genesis_json"`
	SignState  []byte         `json:"priv_validator_state,omitempty"`
}

// signStatePath is where a home keeps the validator's last-sign state.
func signStatePath(home string) string {
	return filepath.Join(home, DirData, "priv_validator_state.json")
}

// Backup seals the node in home (its vault opened with kek) under
// backupKey: magic, version byte, 12-byte nonce, then the AES-256-GCM
// sealed JSON bundle (the magic and version as additional data).
func Backup(home string, kek, backupKey []byte, rnd io.Reader) ([]byte, error) {
	const op = "chain.Backup"
	if len(backupKey) != 32 {
		return nil, fmt.Errorf("%s: %w", op, ErrBackupKey)
	}
	sec, err := vault.Load(filepath.Join(home, FileVault), kek)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer sec.Wipe()
	b := backup{Secrets: sec}
	if b.NodeConfig, err = os.ReadFile(filepath.Join(home, FileNodeConfig)); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if b.Genesis, err = os.ReadFile(filepath.Join(home, FileGenesis)); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if b.SignState, err = os.ReadFile(signStatePath(home)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	plain, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer keys.Zero(plain)
	head := backupHead()
	out, err := vault.Seal(backupKey, head, head, plain, rnd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// backupHead opens a backup file, and is its associated data.
func backupHead() []byte { return append([]byte(backupMagic), backupVersion) }

// Restore makes a fresh home from a backup: the secrets sealed again under
// the new machine's kek, node.json, genesis.json and the last-sign state.
// It refuses a home that already holds a node. Start the node only once
// the backed-up one is gone for good: two nodes with one validator key
// double-sign.
func Restore(home string, sealed, backupKey, kek []byte, rnd io.Reader) error {
	const op = "chain.Restore"
	if len(backupKey) != 32 {
		return fmt.Errorf("%s: %w", op, ErrBackupKey)
	}
	head := backupHead()
	plain, err := vault.Open(backupKey, head, head, sealed, MaxBackupBytes)
	if err != nil {
		return fmt.Errorf("%s: %w", op, ErrBackup)
	}
	defer keys.Zero(plain)
	var b backup
	if err := json.Unmarshal(plain, &b); err != nil || b.Secrets == nil {
		return fmt.Errorf("%s: %w: the bundle does not decode (%v)", op, ErrBackup, err)
	}
	defer b.Secrets.Wipe()
	if _, err := os.Stat(filepath.Join(home, FileVault)); err == nil {
		return fmt.Errorf("%s: %w: %s already holds a node; restore into an empty directory", op, ErrHome, home)
	}
	if err := os.MkdirAll(filepath.Join(home, DirData), 0o700); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	files := [][2]any{{filepath.Join(home, FileNodeConfig), b.NodeConfig}, {filepath.Join(home, FileGenesis), b.Genesis}}
	if b.SignState != nil {
		files = append(files, [2]any{signStatePath(home), b.SignState})
	}
	for _, f := range files {
		if err := atomicfile.Write(f[0].(string), f[1].([]byte)); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	// the vault last: a home without one is not a node, so a restore cut
	// short can simply be run again
	if err := vault.Save(filepath.Join(home, FileVault), kek, b.Secrets, rnd); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

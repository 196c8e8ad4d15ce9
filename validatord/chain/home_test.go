package chain

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/validatord/vault"
)

// operatorKey is a fresh operator's public key (P-256, SEC 1) for a
// test network's genesis.
func operatorKey(t *testing.T) []byte {
	t.Helper()
	op, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := op.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestNoPlaintextSecrets runs a node from a fresh home, stops it, and
// searches every file the node wrote for any of its secrets.
func TestNoPlaintextSecrets(t *testing.T) {
	dir := t.TempDir()
	kek := bytes.Repeat([]byte{9}, 32)
	opPub := operatorKey(t)
	homes, err := Testnet(dir, 1, kek, GenesisOptions{Operators: [][]byte{opPub}}, nil)
	if err != nil {
		t.Fatalf("Testnet() = %v", err)
	}
	if _, err := Testnet(dir, 1, kek, GenesisOptions{Operators: [][]byte{opPub}}, nil); !errors.Is(err, ErrHome) {
		t.Errorf("Testnet() over an existing home = %v, want %v", err, ErrHome)
	}
	if _, err := Start(context.Background(), Options{Home: homes[0], KEK: bytes.Repeat([]byte{8}, 32)}); !errors.Is(err, vault.ErrSealed) {
		t.Fatalf("Start() with the wrong KEK = %v, want %v", err, vault.ErrSealed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, Options{Home: homes[0], KEK: kek})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if err := n.WaitHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	s, err := vault.Load(filepath.Join(homes[0], FileVault), kek)
	if err != nil {
		t.Fatal(err)
	}
	// No network-wide key is made: the genesis names none (the deposit key
	// every node held is gone), and the vault holds the node's own only.
	if g, err := os.ReadFile(filepath.Join(homes[0], FileGenesis)); err != nil || bytes.Contains(g, []byte("deposit")) {
		t.Errorf("genesis = %v, names a deposit key %v; want none", err, bytes.Contains(g, []byte("deposit")))
	}
	secrets := map[string][]byte{"consensus key": s.ConsensusKey[:32], "node key": s.NodeKey[:32],
		"gateway key": s.GatewayKey, "signer key": s.SignerKey,
		"DKG key": s.DKGKey[len(s.DKGKey)-32:], "custody share": s.CustodyShare[len(s.CustodyShare)-32:], "custody key": s.CustodyKey}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		p, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, sec := range secrets {
			for _, form := range [][]byte{sec, []byte(hex.EncodeToString(sec)), []byte(base64.StdEncoding.EncodeToString(sec)[:40])} {
				if bytes.Contains(p, form) {
					t.Errorf("%s holds the %s in plaintext", path, name)
				}
			}
		}
		if base := filepath.Base(path); base == "priv_validator_key.json" || base == "node_key.json" {
			t.Errorf("CometBFT wrote %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

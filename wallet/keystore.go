// Package wallet is the customer's wallet: an owner key kept sealed under
// a passphrase, the grants it signs for a kiosk (shown as QR codes), the
// tokens it owns and transfers, and the check of a copy's receipt against
// the ledger with its proof.
package wallet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/argon2"

	"copystation/atomicfile"
	"copystation/protocol"
)

// KDF is the passphrase stretching (argon2id, RFC 9106). The defaults are
// RFC 9106's second recommended option (64 MiB, 3 passes), for a phone or
// a laptop; tests may lower them.
type KDF struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// DefaultKDF is what Create uses unless told otherwise.
var DefaultKDF = KDF{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// file is the wallet file: the owner key's scalar sealed with AES-256-GCM
// under the argon2id key of the passphrase, with the public key as
// additional data so a file whose halves were swapped does not open.
type file struct {
	Version int    `json:"version"`
	KDFName string `json:"kdf"`
	KDF     KDF    `json:"params"`
	Salt    []byte `json:"salt"`
	Nonce   []byte `json:"nonce"`
	Sealed  []byte `json:"sealed"`
	Public  []byte `json:"public"` // SEC1 P-256
}

const (
	fileVersion = 1
	kdfName     = "argon2id"
	maxFile     = 4 << 10
	aadLabel    = "copystation wallet v1"
)

// Errors of the wallet file.
var (
	ErrExists         = errors.New("a wallet already exists there: use it, or choose another --wallet file")
	ErrNoWallet       = errors.New("no wallet there: make one with `wallet init`")
	ErrPassphrase     = errors.New("wrong passphrase (or a damaged wallet file)")
	ErrBadFile        = errors.New("not a wallet file")
	ErrWeakPassphrase = errors.New("the passphrase must be at least 8 characters")
)

// Wallet is an open wallet: the owner key in memory.
type Wallet struct {
	key *ecdsa.PrivateKey
	pub []byte
}

// Create makes an owner key and writes it sealed to path (mode 0600,
// atomically); the key itself never reaches the disk in the clear.
func Create(path string, passphrase []byte, kdf KDF, rnd io.Reader) (*Wallet, error) {
	if len(passphrase) < 8 {
		return nil, fmt.Errorf("wallet.Create: %w", ErrWeakPassphrase)
	}
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("wallet.Create %s: %w", path, ErrExists)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	scalar, err := key.Bytes()
	if err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	defer clear(scalar)
	f := file{Version: fileVersion, KDFName: kdfName, KDF: kdf, Salt: make([]byte, 16), Public: pub}
	if _, err := io.ReadFull(rnd, f.Salt); err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	aead, err := f.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	f.Nonce = make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(rnd, f.Nonce); err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	f.Sealed = aead.Seal(nil, f.Nonce, scalar, f.aad())
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return nil, fmt.Errorf("wallet.Create: %w", err)
	}
	return &Wallet{key: key, pub: pub}, nil
}

// Open reads and unseals a wallet.
func Open(path string, passphrase []byte) (*Wallet, error) {
	b, err := readBounded(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("wallet.Open %s: %w", path, ErrNoWallet)
	}
	if err != nil {
		return nil, fmt.Errorf("wallet.Open: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("wallet.Open %s: %w: %v", path, ErrBadFile, err)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("wallet.Open %s: %w", path, err)
	}
	aead, err := f.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("wallet.Open: %w", err)
	}
	scalar, err := aead.Open(nil, f.Nonce, f.Sealed, f.aad())
	if err != nil {
		return nil, fmt.Errorf("wallet.Open %s: %w", path, ErrPassphrase)
	}
	defer clear(scalar)
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
	if err != nil {
		return nil, fmt.Errorf("wallet.Open %s: %w: %v", path, ErrBadFile, err)
	}
	pub, _ := key.PublicKey.Bytes()
	if string(pub) != string(f.Public) {
		return nil, fmt.Errorf("wallet.Open %s: %w: the key does not match its public half", path, ErrBadFile)
	}
	return &Wallet{key: key, pub: pub}, nil
}

// check bounds what a file may ask of the KDF, so a crafted file cannot
// make Open use gigabytes or hours.
func (f *file) check() error {
	switch {
	case f.Version != fileVersion || f.KDFName != kdfName:
		return fmt.Errorf("%w: version %d, kdf %q (want %d, %s)", ErrBadFile, f.Version, f.KDFName, fileVersion, kdfName)
	case f.KDF.Time < 1 || f.KDF.Time > 10, f.KDF.MemoryKiB < 8 || f.KDF.MemoryKiB > 1<<20, f.KDF.Threads < 1 || f.KDF.Threads > 16:
		return fmt.Errorf("%w: argon2id parameters out of range", ErrBadFile)
	case len(f.Salt) != 16 || len(f.Nonce) != 12 || len(f.Sealed) != 32+16 || len(f.Public) != 65:
		return fmt.Errorf("%w: a field has the wrong length", ErrBadFile)
	}
	return nil
}

func (f *file) aead(passphrase []byte) (cipher.AEAD, error) {
	k := argon2.IDKey(passphrase, f.Salt, f.KDF.Time, f.KDF.MemoryKiB, f.KDF.Threads, 32)
	defer clear(k)
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (f *file) aad() []byte { return append([]byte(aadLabel), f.Public...) }

func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadFile, path, maxFile)
	}
	return b, nil
}

// PublicKey is the owner key's SEC1 public key: what an issuer mints to
// and a seller transfers to.
func (w *Wallet) PublicKey() []byte { return w.pub }

// OwnerID is the ledger's name for this owner: protocol.KeyID of the
// public key. It says nothing about the person.
func (w *Wallet) OwnerID() string { return protocol.KeyID(w.pub) }

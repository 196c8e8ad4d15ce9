package playertree

import (
	"copystation/custody"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/encrypt/ibe"
)

// Key block format, version 2 (docs/disc-format.md, "Disc key block").
const (
	KeyBlockVersion = 2
	// DiscKeySize is the size of the disc key the block carries.
	DiscKeySize = 32
	// MaxCover bounds the entries of a block (about 10.8 MB).
	MaxCover = 1 << 16
	// EntrySize is one cover entry: depth, path, IBE ciphertext (U on
	// G2, V, W).
	EntrySize  = 1 + 4 + GroupKeySize + 2*DiscKeySize
	wrapSize   = DiscKeySize + 16
	maxMediaID = custody.MaxMediaIDLen
	blockLabel = "copystation disc key block v2"
)

// Errors of the key block.
var (
	ErrKeyBlock  = errors.New("playertree: disc key block does not open: it belongs to another disc or was altered")
	ErrRevoked   = errors.New("playertree: this player is revoked for this disc (no node of the block's cover is on its path)")
	ErrOtherTree = errors.New("playertree: the disc key block is for another player tree")
	ErrKeyInput  = errors.New("playertree: invalid key block input")
)

// Entry is one cover node and the block key encrypted to it.
type Entry struct {
	Node Node
	CT   *ibe.Ciphertext // set by Build
	raw  []byte          // set by ParseKeyBlock: U ‖ V ‖ W, decoded on use
}

// KeyBlock is a parsed disc key block.
type KeyBlock struct {
	Tree    Tree
	Entries []Entry
	Wrapped []byte // AES-256-GCM of the disc key under the block key
	digest  [32]byte
}

// Build makes a disc's key block: a fresh block key, IBE-encrypted to each
// node of the cover of the unrevoked players, and the disc key under the
// block key with the media ID in the additional data, so a block copied
// to another blank does not open. It needs public data only: the group
// key, the tree and the revoked leaves. A station writing many discs keeps
// one Encrypter and calls its Build, which reuses the pairings.
func Build(group kyber.Point, t Tree, revoked []uint32, mediaID, discKey []byte, rnd io.Reader) ([]byte, error) {
	e, err := NewEncrypter(group, t)
	if err != nil {
		return nil, fmt.Errorf("playertree.Build: %w", err)
	}
	return e.Build(revoked, mediaID, discKey, rnd)
}

// Build makes a disc's key block as the package's Build does, with the
// pairings of cover nodes seen before taken from the cache.
func (e *Encrypter) Build(revoked []uint32, mediaID, discKey []byte, rnd io.Reader) ([]byte, error) {
	if len(discKey) != DiscKeySize || len(mediaID) == 0 || len(mediaID) > maxMediaID {
		return nil, fmt.Errorf("playertree.Build: %w: disc key %d bytes (want %d), media ID %d bytes (want 1 to %d)", ErrKeyInput, len(discKey), DiscKeySize, len(mediaID), maxMediaID)
	}
	cover, err := e.tree.Cover(revoked)
	if err != nil {
		return nil, fmt.Errorf("playertree.Build: %w", err)
	}
	if len(cover) == 0 || len(cover) > MaxCover {
		return nil, fmt.Errorf("playertree.Build: %w: a cover of %d nodes (every player revoked, or more than %d)", ErrKeyInput, len(cover), MaxCover)
	}
	// The block key, then one sigma per entry, all read here: rnd need
	// not be safe for concurrent use.
	random := make([]byte, DiscKeySize*(1+len(cover)))
	defer clear(random)
	if _, err := io.ReadFull(rnd, random); err != nil {
		return nil, fmt.Errorf("playertree.Build: block key: %w", err)
	}
	bk := random[:DiscKeySize]
	entries, err := e.encryptAll(cover, bk, random[DiscKeySize:])
	if err != nil {
		return nil, fmt.Errorf("playertree.Build: %w", err)
	}
	b := header(e.tree, len(cover))
	for _, en := range entries {
		b = appendEntry(b, en)
	}
	g, err := gcm(bk)
	if err != nil {
		return nil, err
	}
	return g.Seal(b, make([]byte, g.NonceSize()), discKey, aad(mediaID, sha256.Sum256(b))), nil
}

// encryptAll encrypts the block key to every cover node, on every core.
func (e *Encrypter) encryptAll(cover []Node, bk, sigmas []byte) ([]Entry, error) {
	entries := make([]Entry, len(cover))
	errs := make([]error, len(cover))
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(cover))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(cover); i += workers {
				sigma := sigmas[i*DiscKeySize : (i+1)*DiscKeySize]
				ct, err := e.encrypt(cover[i], bk, sigma)
				entries[i], errs[i] = Entry{Node: cover[i], CT: ct}, err
			}
		})
	}
	wg.Wait()
	return entries, errors.Join(errs...)
}

func header(t Tree, n int) []byte {
	b := make([]byte, 0, 8+len(t.ID)+n*EntrySize+wrapSize)
	b = append(b, KeyBlockVersion, byte(len(t.ID)))
	b = append(b, t.ID...)
	b = append(b, t.Depth)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func appendEntry(b []byte, e Entry) []byte {
	b = append(b, e.Node.Depth)
	b = binary.BigEndian.AppendUint32(b, e.Node.Path)
	if e.CT == nil {
		return append(b, e.raw...)
	}
	u, _ := e.CT.U.MarshalBinary() // a G2 point always encodes
	b = append(b, u...)
	b = append(b, e.CT.V...)
	return append(b, e.CT.W...)
}

// aad binds the wrapped disc key to the disc's media ID and to every byte
// of the block before it.
func aad(mediaID []byte, digest [32]byte) []byte {
	a := append([]byte(blockLabel), byte(len(mediaID)))
	a = append(a, mediaID...)
	return append(a, digest[:]...)
}

func gcm(key []byte) (cipher.AEAD, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(c)
}

// Open is the player's side: it finds the cover node on its path, opens
// the block key with that node's key, then the disc key with the media ID
// the drive reports for the disc.
func Open(k *DeviceKeys, block, mediaID []byte) ([]byte, error) {
	kb, err := ParseKeyBlock(block)
	if err != nil {
		return nil, err
	}
	if kb.Tree != k.Tree {
		return nil, fmt.Errorf("playertree.Open: %w: block for %q depth %d, player of %q depth %d", ErrOtherTree, kb.Tree.ID, kb.Tree.Depth, k.Tree.ID, k.Tree.Depth)
	}
	if len(k.Keys) != int(k.Tree.Depth)+1 {
		return nil, fmt.Errorf("playertree.Open: %w: %d keys for depth %d", ErrDeviceKeys, len(k.Keys), k.Tree.Depth)
	}
	for _, e := range kb.Entries {
		if e.Node != k.Tree.Ancestor(k.Leaf, e.Node.Depth) {
			continue
		}
		priv, err := custody.ParseG1(k.Keys[e.Node.Depth])
		if err != nil {
			return nil, fmt.Errorf("playertree.Open: %w: key at depth %d: %v", ErrDeviceKeys, e.Node.Depth, err)
		}
		ct, err := e.ciphertext()
		if err != nil {
			return nil, fmt.Errorf("playertree.Open: %w", err)
		}
		bk, err := ibe.DecryptCCAonG2(suite, priv, ct)
		if err != nil {
			return nil, fmt.Errorf("playertree.Open: %w", ErrKeyBlock)
		}
		defer clear(bk)
		g, err := gcm(bk)
		if err != nil {
			return nil, fmt.Errorf("playertree.Open: %w", ErrKeyBlock)
		}
		dk, err := g.Open(nil, make([]byte, g.NonceSize()), kb.Wrapped, aad(mediaID, kb.digest))
		if err != nil {
			return nil, fmt.Errorf("playertree.Open: %w", ErrKeyBlock)
		}
		return dk, nil
	}
	return nil, fmt.Errorf("playertree.Open: leaf %d: %w", k.Leaf, ErrRevoked)
}

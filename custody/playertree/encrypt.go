package playertree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/encrypt/ibe"
)

// maxCached bounds the pairings an Encrypter keeps: a few full covers'
// worth (a GT element is 576 bytes, so at most about 150 MB).
const maxCached = 4 * MaxCover

// Encrypter encrypts block keys to the nodes of one tree under one group
// key. Boneh–Franklin encryption to a node spends most of its time on the
// pairing e(H1(label), X), which depends only on the node and the group
// key; the Encrypter computes it once per node and keeps it, so a station
// writing many discs pays per entry only a G2 multiplication and a GT
// exponentiation. It is safe for concurrent use.
type Encrypter struct {
	group kyber.Point
	tree  Tree
	mu    sync.Mutex
	gid   map[Node]kyber.Point
}

// NewEncrypter prepares encryption to t's nodes under the group key.
func NewEncrypter(group kyber.Point, t Tree) (*Encrypter, error) {
	if err := t.Check(); err != nil {
		return nil, fmt.Errorf("playertree.NewEncrypter: %w", err)
	}
	if group == nil {
		return nil, fmt.Errorf("playertree.NewEncrypter: %w: no group key", ErrGroupKey)
	}
	// Under the identity every pairing e(H1(label), X) is 1: each entry
	// would open with the identity as device key, by anyone.
	if group.Equal(suite.G2().Point().Null()) {
		return nil, fmt.Errorf("playertree.NewEncrypter: %w: the identity point", ErrGroupKey)
	}
	return &Encrypter{group: group, tree: t, gid: map[Node]kyber.Point{}}, nil
}

// Tree is the tree the Encrypter encrypts to.
func (e *Encrypter) Tree() Tree { return e.tree }

// pairing is e(H1(label(n)), X), from the cache or computed and cached.
func (e *Encrypter) pairing(n Node) (kyber.Point, error) {
	e.mu.Lock()
	g, ok := e.gid[n]
	e.mu.Unlock()
	if ok {
		return g, nil
	}
	label, err := e.tree.Label(n)
	if err != nil {
		return nil, err
	}
	// As ibe.EncryptCCAonG2, step 1: Q_id = H1(ID) on G1, Gid = e(Q_id, X).
	hG1, ok := suite.G1().Point().(kyber.HashablePoint)
	if !ok {
		return nil, errors.New("playertree: the suite's G1 cannot hash to a point")
	}
	g = suite.Pair(hG1.Hash(label), e.group)
	e.mu.Lock()
	if len(e.gid) >= maxCached {
		clear(e.gid)
	}
	e.gid[n] = g
	e.mu.Unlock()
	return g, nil
}

// encrypt is ibe.EncryptCCAonG2(suite, X, label(n), msg) step for step,
// with the pairing taken from the cache and sigma given (random, drawn
// by the caller so that one reader serves every worker); kyber's
// DecryptCCAonG2 opens the result (TestEncryptMatchesKyber).
func (e *Encrypter) encrypt(n Node, msg, sigma []byte) (*ibe.Ciphertext, error) {
	if len(msg) > suite.Hash().Size() || len(sigma) != len(msg) {
		return nil, fmt.Errorf("%w: a message of %d bytes, sigma of %d", ErrKeyInput, len(msg), len(sigma))
	}
	gid, err := e.pairing(n)
	if err != nil {
		return nil, err
	}
	// 2. sigma: random, drawn by the caller.
	// 3. r = H3(sigma, msg).
	r, err := h3(sigma, msg)
	if err != nil {
		return nil, err
	}
	// 4. U = r·G2.
	u := suite.G2().Point().Mul(r, suite.G2().Point().Base())
	// 5. V = sigma XOR H2(Gid^r), into a fresh GT element: the cached
	// one is shared.
	rGid := suite.GT().Point().Mul(r, gid)
	v := xor(sigma, gtToHash(rGid, len(msg)))
	// 6. W = msg XOR H4(sigma).
	w := xor(msg, h4(sigma, len(msg)))
	return &ibe.Ciphertext{U: u, V: v, W: w}, nil
}

// h3 is kyber's ibe h3: r from H(i ‖ H("IBE-H3" ‖ sigma ‖ msg)) by
// rejection sampling, i a little-endian u16 counting from 1.
func h3(sigma, msg []byte) (kyber.Scalar, error) {
	h := suite.Hash()
	h.Write(ibe.H3Tag())
	h.Write(sigma)
	h.Write(msg)
	buffer := h.Sum(nil)
	s := suite.G1().Scalar()
	toMask := s.MarshalSize()*8 - s.GroupOrder().BitLen()
	for i := uint16(1); i < 65535; i++ {
		h.Reset()
		h.Write(binary.LittleEndian.AppendUint16(nil, i))
		h.Write(buffer)
		hashed := h.Sum(nil)
		if s.ByteOrder() == kyber.BigEndian {
			hashed[0] >>= toMask
		} else {
			hashed[len(hashed)-1] >>= toMask
		}
		if err := s.UnmarshalBinary(hashed); err == nil {
			return s, nil
		}
	}
	return nil, errors.New("playertree: h3 rejection sampling failed")
}

// h4 is kyber's ibe h4: H("IBE-H4" ‖ sigma), cut to length.
func h4(sigma []byte, length int) []byte {
	h := suite.Hash()
	h.Write(ibe.H4Tag())
	h.Write(sigma)
	return h.Sum(nil)[:length]
}

// gtToHash is kyber's ibe gtToHash: H("IBE-H2" ‖ gt), cut to length.
func gtToHash(gt kyber.Point, length int) []byte {
	h := suite.Hash()
	h.Write(ibe.H2Tag())
	gt.MarshalTo(h) // writes to a hash never fail
	return bytes.Clone(h.Sum(nil)[:length])
}

func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

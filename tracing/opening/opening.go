// Package opening is the exchange that opens codewords for a trace: each
// node's answer to an opening request recorded on the ledger (its partial
// signatures on the title's tracing label and on each named copy's label,
// HPKE-sealed to the requester), and the requester's combination of t
// answers into the opened signatures (docs/tracing.md, "Opening").
package opening

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"

	"copystation/custody"
)

// ErrAnswer: a sealed answer does not open, or is malformed.
var ErrAnswer = errors.New("malformed or undecryptable opening answer")

// MaxCopies bounds the copies one answer covers (as the ledger's request).
const MaxCopies = 4096

// Answer is one node's answer: its partial on the title's tracing label and
// on each named copy's label, in the request's order.
type Answer struct {
	Title  custody.Partial
	Copies []custody.Partial
}

// Sign is the node's side: partials with its own share on labels it built
// from its own committed ledger state.
func Sign(ks *custody.KeyShare, titleLabel []byte, copyLabels [][]byte) (*Answer, error) {
	if len(copyLabels) > MaxCopies {
		return nil, fmt.Errorf("opening.Sign: %w: %d copies, at most %d", ErrAnswer, len(copyLabels), MaxCopies)
	}
	a := &Answer{Copies: make([]custody.Partial, len(copyLabels))}
	var err error
	if a.Title, err = custody.PartialSign(ks, titleLabel); err != nil {
		return nil, fmt.Errorf("opening.Sign: %w", err)
	}
	for i, l := range copyLabels {
		if a.Copies[i], err = custody.PartialSign(ks, l); err != nil {
			return nil, fmt.Errorf("opening.Sign: %w", err)
		}
	}
	return a, nil
}

// info binds a sealed answer to its network and request: "copystation
// opening v1" ‖ u16(len) ‖ chain ID ‖ u16(len) ‖ opening ID.
func info(chainID, openingID string) []byte {
	b := []byte("copystation opening v1")
	for _, f := range []string{chainID, openingID} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

var (
	kdf  = hpke.HKDFSHA256()
	aead = hpke.AES256GCM()
)

// Seal encodes the answer (u32 count ‖ the title partial ‖ each copy's,
// custody.Partial encoding) and seals it with HPKE (DHKEM(X25519),
// HKDF-SHA256, AES-256-GCM) to the requester's key named in the request.
func Seal(a *Answer, to []byte, chainID, openingID string) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(to)
	if err != nil {
		return nil, fmt.Errorf("opening.Seal: %w", err)
	}
	hpub, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("opening.Seal: %w", err)
	}
	pt := binary.BigEndian.AppendUint32(nil, uint32(len(a.Copies)))
	for _, p := range append([]custody.Partial{a.Title}, a.Copies...) {
		b, _ := p.MarshalBinary()
		pt = append(pt, b...)
	}
	return hpke.Seal(hpub, kdf, aead, info(chainID, openingID), pt)
}

// Open opens a sealed answer with the requester's key and decodes it,
// refusing one for another request or with another number of copies.
func Open(priv ecdh.KeyExchanger, chainID, openingID string, blob []byte, copies int) (*Answer, error) {
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("opening.Open: %w", err)
	}
	pt, err := hpke.Open(hpriv, kdf, aead, info(chainID, openingID), blob)
	if err != nil {
		return nil, fmt.Errorf("opening.Open: %w: not sealed to this key for opening %q: %v", ErrAnswer, openingID, err)
	}
	return parse(pt, copies)
}

func parse(pt []byte, copies int) (*Answer, error) {
	if copies < 0 || copies > MaxCopies || len(pt) < 4 || binary.BigEndian.Uint32(pt) != uint32(copies) || len(pt) != 4+(copies+1)*custody.PartialLen {
		return nil, fmt.Errorf("opening.Open: %w: %d bytes, want %d partials", ErrAnswer, len(pt), copies+1)
	}
	ps := make([]custody.Partial, copies+1)
	for i := range ps {
		p, err := custody.UnmarshalPartial(pt[4+i*custody.PartialLen : 4+(i+1)*custody.PartialLen])
		if err != nil {
			return nil, fmt.Errorf("opening.Open: %w: %v", ErrAnswer, err)
		}
		ps[i] = p
	}
	return &Answer{Title: ps[0], Copies: ps[1:]}, nil
}

// Combine turns the answers into the group signatures on the title label
// and each copy label (custody.Combine: every partial checked against its
// node's public share, t of them interpolated, the result checked against
// the group key). Fewer than t good answers is an error: no node, nor any
// t−1 of them, can open a codeword.
func Combine(g *custody.Group, titleLabel []byte, copyLabels [][]byte, answers []*Answer) (custody.Signature, []custody.Signature, error) {
	pick := func(f func(*Answer) custody.Partial) []custody.Partial {
		ps := make([]custody.Partial, len(answers))
		for i, a := range answers {
			ps[i] = f(a)
		}
		return ps
	}
	for _, a := range answers {
		if len(a.Copies) != len(copyLabels) {
			return custody.Signature{}, nil, fmt.Errorf("opening.Combine: %w: an answer covers %d copies, the request %d", ErrAnswer, len(a.Copies), len(copyLabels))
		}
	}
	st, _, err := custody.Combine(g, titleLabel, pick(func(a *Answer) custody.Partial { return a.Title }))
	if err != nil {
		return st, nil, fmt.Errorf("opening.Combine: title: %w", err)
	}
	sigs := make([]custody.Signature, len(copyLabels))
	for i, l := range copyLabels {
		if sigs[i], _, err = custody.Combine(g, l, pick(func(a *Answer) custody.Partial { return a.Copies[i] })); err != nil {
			return st, nil, fmt.Errorf("opening.Combine: copy %d: %w", i, err)
		}
	}
	return st, sigs, nil
}

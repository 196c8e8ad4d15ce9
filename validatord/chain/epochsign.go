package chain

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"copystation/custody"
	"copystation/validatord/contract"
)

// ErrEpochRecordMismatch is new nodes that rebuilt different epoch records
// from what should be the same public results: their resharing went
// differently (another session, another title list, a tampered bundle).
// Nothing is submitted; find why the named nodes differ and reshare again.
var ErrEpochRecordMismatch = errors.New("chain: the new nodes' epoch records differ")

// EpochPartial is one new node's contribution to the final part of an
// epoch: the record it rebuilt itself from the public results and its
// partial group signature on the record's label. In process every new node
// is here; across machines each writes its own and any operator combines
// t of them (CombineEpochPartials).
type EpochPartial struct {
	Record  []byte // custody.EpochRecord encoding
	Partial custody.Partial
}

// SignEpochRecord is a new node's EpochPartial: its share of the new epoch
// signs the label of the record it built.
func SignEpochRecord(rec *custody.EpochRecord, share *custody.KeyShare) (EpochPartial, error) {
	const op = "chain.SignEpochRecord"
	enc, err := rec.MarshalBinary()
	if err != nil {
		return EpochPartial{}, fmt.Errorf("%s: %w", op, err)
	}
	label, err := rec.Label()
	if err != nil {
		return EpochPartial{}, fmt.Errorf("%s: %w", op, err)
	}
	p, err := custody.PartialSign(share, label)
	if err != nil {
		return EpochPartial{}, fmt.Errorf("%s: %w", op, err)
	}
	return EpochPartial{Record: enc, Partial: p}, nil
}

// CombineEpochPartials checks that every new node signed the same record
// (naming those that did not), checks each partial against the record's
// group and combines t of them into the final TxCustodyEpoch part, which
// names the new set. newNodes is the new set in new order, as the session
// ran it; the record's group must have that many nodes.
func CombineEpochPartials(newNodes []contract.CustodyNode, ps []EpochPartial) (*contract.CustodyEpochBody, error) {
	const op = "chain.CombineEpochPartials"
	body, err := combineEpochPartials(newNodes, ps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return body, nil
}

func combineEpochPartials(newNodes []contract.CustodyNode, ps []EpochPartial) (*contract.CustodyEpochBody, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: no partial signatures on the epoch record", custody.ErrNotEnoughShares)
	}
	name := func(i int) string {
		if i >= 0 && i < len(newNodes) {
			return fmt.Sprintf("%d (%s)", i, newNodes[i].Name)
		}
		return fmt.Sprintf("%d (not in the new set)", i)
	}
	// the record most partials carry is the reference; a tie goes to the
	// first seen, and every node off it is named
	counts := map[string]int{}
	ref := ps[0].Record
	for _, p := range ps {
		counts[string(p.Record)]++
		if counts[string(p.Record)] > counts[string(ref)] {
			ref = p.Record
		}
	}
	if len(counts) > 1 {
		var same, other []string
		for _, p := range ps {
			if bytes.Equal(p.Record, ref) {
				same = append(same, name(p.Partial.Node))
			} else {
				other = append(other, name(p.Partial.Node))
			}
		}
		return nil, fmt.Errorf("%w: new node(s) %s built another record than node(s) %s",
			ErrEpochRecordMismatch, strings.Join(other, ", "), strings.Join(same, ", "))
	}
	rec, err := custody.UnmarshalEpochRecord(ref)
	if err != nil {
		return nil, err
	}
	if rec.Group.N() != len(newNodes) {
		return nil, fmt.Errorf("%w: the record's group has %d nodes, the new set %d", ErrReshare, rec.Group.N(), len(newNodes))
	}
	label, err := rec.Label()
	if err != nil {
		return nil, err
	}
	parts := make([]custody.Partial, len(ps))
	for i, p := range ps {
		parts[i] = p.Partial
	}
	sig, _, err := custody.Combine(rec.Group, label, parts)
	if err != nil {
		return nil, err
	}
	return &contract.CustodyEpochBody{Epoch: rec.Epoch, Record: bytes.Clone(ref), Sig: sig[:], Nodes: newNodes}, nil
}

package genesis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
)

// phaseRecord is the last phase of a resharing: each new node's partial
// signature on the epoch record it built, DIR/record-<p>.bin.
const phaseRecord = "record"

// maxRecordFile bounds a record file: a partial and a record whose titles
// each carry MaxNodes roots; the bundle bound is far above any real one.
const maxRecordFile = maxBundleSize

// EncodeEpochPartial is a record file's contents: the 50-byte partial
// (custody.Partial: u16 node ‖ G1) ‖ the custody.EpochRecord encoding.
func EncodeEpochPartial(p chain.EpochPartial) ([]byte, error) {
	pb, err := p.Partial.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("genesis.EncodeEpochPartial: %w", err)
	}
	return append(pb, p.Record...), nil
}

// DecodeEpochPartial parses a record file; the record itself is checked
// when the partials are combined (chain.CombineEpochPartials).
func DecodeEpochPartial(b []byte) (chain.EpochPartial, error) {
	const op = "genesis.DecodeEpochPartial"
	if len(b) <= custody.PartialLen || len(b) > maxRecordFile {
		return chain.EpochPartial{}, fmt.Errorf("%s: %w: record file of %d bytes, want a %d-byte partial and a record, at most %d in all",
			op, ErrExchange, len(b), custody.PartialLen, maxRecordFile)
	}
	p, err := custody.UnmarshalPartial(b[:custody.PartialLen])
	if err != nil {
		return chain.EpochPartial{}, fmt.Errorf("%s: %w: %v", op, ErrExchange, err)
	}
	return chain.EpochPartial{Partial: p, Record: bytes.Clone(b[custody.PartialLen:])}, nil
}

// RecordReshare is one node's inputs to the record phase.
type RecordReshare struct {
	Record   *custody.EpochRecord   // built by this node from its group and the titles' outcomes
	Share    *custody.KeyShare      // a new node's share of the new epoch; nil for a leaving node
	Parties  [][]byte               // ReshareParties
	Key      []byte                 // this node's DKG public key
	NewOrder []int                  // NewOrder
	NewNodes []contract.CustodyNode // the session's new set (ReshareSession.NewNodes)
	Exchange string
	Poll     time.Duration // 0: 500 ms
}

// ReshareRecord runs the record phase: a new node signs the record it
// built (chain.SignEpochRecord) and publishes its record file; a leaving
// node publishes an empty one. Every node then reads each new node's file
// at that node's party index, refuses a partial that names another node,
// and combines them (chain.CombineEpochPartials, which names any node that
// built another record): the result is the last tx 26 part, the same on
// every node.
func ReshareRecord(ctx context.Context, r RecordReshare) (*contract.CustodyEpochBody, error) {
	const op = "genesis.ReshareRecord"
	body, err := reshareRecord(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return body, nil
}

func reshareRecord(ctx context.Context, r RecordReshare) (*contract.CustodyEpochBody, error) {
	if r.Poll == 0 {
		r.Poll = 500 * time.Millisecond
	}
	self := -1
	for p, k := range r.Parties {
		if bytes.Equal(k, r.Key) {
			self = p
		}
	}
	if self < 0 || len(r.NewOrder) != len(r.NewNodes) {
		return nil, fmt.Errorf("%w: this node is not a party, or the new order does not match the new set", ErrNotInReshare)
	}
	x := &exchange{dir: r.Exchange, n: len(r.Parties), self: self, poll: r.Poll, reshare: true}
	fail := func(err error) (*contract.CustodyEpochBody, error) {
		if !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrPeerAborted) {
			x.abort(err)
		}
		return nil, err
	}
	var mine []byte
	if r.Share != nil {
		p, err := chain.SignEpochRecord(r.Record, r.Share)
		if err != nil {
			return fail(err)
		}
		if mine, err = EncodeEpochPartial(p); err != nil {
			return fail(err)
		}
	}
	if err := x.publish(phaseRecord, mine); err != nil {
		return fail(err)
	}
	files, err := x.collectEach(ctx, phaseRecord)
	if err != nil {
		return fail(err)
	}
	var ps []chain.EpochPartial
	for j, p := range r.NewOrder {
		ep, err := DecodeEpochPartial(files[p])
		if err != nil {
			return fail(fmt.Errorf("new node %d (party %d): %w", j, p, err))
		}
		if ep.Partial.Node != j {
			return fail(fmt.Errorf("%w: new node %d's record file holds node %d's partial", ErrExchange, j, ep.Partial.Node))
		}
		ps = append(ps, ep)
	}
	body, err := chain.CombineEpochPartials(r.NewNodes, ps)
	if err != nil {
		return fail(err)
	}
	return body, nil
}

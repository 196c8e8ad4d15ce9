package genesis

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"time"

	"copystation/custody"
)

// TitleReshare is one node's inputs to one title's resharing through the
// exchange directory, after the group's (ReshareGroup).
type TitleReshare struct {
	Config   custody.TitleReshareConfig // built alike by every node from the ledger and the session
	Index    int                        // the title's place in the session's title list: names its files
	Parties  [][]byte                   // ReshareParties: the DKG keys in exchange order
	OldIdx   int                        // this node's index in the old set, -1 if joining
	NewIdx   int                        // in the new set, -1 if leaving
	NewOrder []int                      // party index of new node j, for every j
	Key      *custody.DKGKey            // this node's DKG key (signs its deal)
	Custody  *ecdh.PrivateKey           // this node's custody key (opens its old blob, its new shares)
	Blob     []byte                     // an old node's sealed shares of the epoch in force
	Root     [32]byte                   // and their root, from the ledger
	Exchange string
	Poll     time.Duration // 0: 500 ms
}

// TitleOutcome is the title's new custody as every node sees it: each new
// node's resealed blob and root, in new order (the tx 26 part's shares and
// the record's roots).
type TitleOutcome struct {
	Blobs [][]byte
	Roots [][32]byte
}

// ReshareTitle runs this node's part of one title's resharing: an old node
// opens its shares and publishes its deal (DIR/title<k>deal-<p>.bin); a
// new node combines the deals and publishes its root ‖ resealed blob
// (DIR/title<k>shares-<p>.bin); others publish empty files. Every node
// then reads every new node's file by its party index, so no node can
// speak for another.
func ReshareTitle(ctx context.Context, r TitleReshare) (*TitleOutcome, error) {
	const op = "genesis.ReshareTitle"
	out, err := reshareTitle(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: title %s: %w", op, r.Config.Title.TitleID, err)
	}
	return out, nil
}

func reshareTitle(ctx context.Context, r TitleReshare) (*TitleOutcome, error) {
	if r.Poll == 0 {
		r.Poll = 500 * time.Millisecond
	}
	self := -1
	for p, k := range r.Parties {
		if string(k) == string(r.Key.Public()) {
			self = p
		}
	}
	if self < 0 || len(r.NewOrder) != len(r.Config.NewCustody) {
		return nil, fmt.Errorf("%w: this node is not a party, or the new order does not match the new set", ErrNotInReshare)
	}
	x := &exchange{dir: r.Exchange, n: len(r.Parties), self: self, poll: r.Poll, reshare: true}
	dealPhase, sharePhase := fmt.Sprintf("title%ddeal", r.Index), fmt.Sprintf("title%dshares", r.Index)
	fail := func(err error) (*TitleOutcome, error) {
		if !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrPeerAborted) {
			x.abort(err)
		}
		return nil, err
	}
	var deal []byte
	if r.OldIdx >= 0 {
		ts, err := custody.OpenShares(r.Custody, r.Config.Title, r.OldIdx, r.Blob, r.Root)
		if err != nil {
			return fail(err)
		}
		deal, err = custody.DealTitleReshare(r.Config, r.Key, ts)
		ts.Wipe()
		if err != nil {
			return fail(err)
		}
	}
	if err := x.publish(dealPhase, deal); err != nil {
		return fail(err)
	}
	deals, err := x.collect(ctx, dealPhase)
	if err != nil {
		return fail(err)
	}
	var mine []byte
	if r.NewIdx >= 0 {
		tr, err := custody.CombineTitleReshare(r.Config, r.NewIdx, r.Custody, deals)
		if err != nil {
			return fail(err)
		}
		tr.Shares.Wipe()
		mine = append(tr.Root[:], tr.Blob...)
	}
	if err := x.publish(sharePhase, mine); err != nil {
		return fail(err)
	}
	files, err := x.collectEach(ctx, sharePhase)
	if err != nil {
		return fail(err)
	}
	out := &TitleOutcome{}
	for j, p := range r.NewOrder {
		f := files[p]
		if len(f) <= 32 {
			return fail(fmt.Errorf("%w: new node %d (party %d) published no shares of the title", ErrExchange, j, p))
		}
		out.Roots = append(out.Roots, [32]byte(f[:32]))
		out.Blobs = append(out.Blobs, f[32:])
	}
	if r.NewIdx >= 0 && string(files[self]) != string(mine) {
		return fail(fmt.Errorf("%w: this node's shares file in %s is not the one it wrote", ErrExchange, r.Exchange))
	}
	return out, nil
}

package contract

import (
	"encoding/json"
	"fmt"

	"copystation/custody"
)

// DealChecker is a node's own check of an issuer's dealt title shares: it
// opens the node's sealed blob with its custody key and checks every share
// against the node's root (keyservice.Custodian). Only the node can do it,
// so the answer differs between nodes and may only decide CheckTx (what
// this node admits to its mempool and gossips), never FinalizeBlock.
type DealChecker interface {
	CheckDeal(chainID string, c *Custody, t *Title, shares [][]byte) error
}

// checkDeal checks a registration's dealt shares against what needs no
// node secret: one root and one blob per custody node in force (the
// genesis ones, or the last custody epoch's), each blob
// exactly the size of a sealed share vector for the title's segments.
// Whether a blob opens and matches its root is each node's own check
// (DealChecker); a node whose blob does not is named when it refuses to
// release.
func checkDeal(v *view, t *Title, shares [][]byte) (*refusal, error) {
	c, _, found, err := currentCustody(v)
	if err != nil {
		return nil, err
	}
	if !found {
		return refuse(CodeBadField, "the network has no custody nodes in its genesis to deal shares to"), nil
	}
	n := len(c.Nodes)
	if len(t.ShareRoots) != n || len(shares) != n {
		return refuse(CodeBadField, "%d share roots and %d sealed shares, want one each for the %d custody nodes", len(t.ShareRoots), len(shares), n), nil
	}
	if len(t.Segments) == 0 {
		return refuse(CodeBadField, "a dealt title needs at least one forensic segment"), nil
	}
	want := custody.SealedSharesLen(len(t.Segments))
	for i := range n {
		if len(t.ShareRoots[i]) != 32 {
			return refuse(CodeBadField, "share root %d is %d bytes, want 32", i, len(t.ShareRoots[i])), nil
		}
		if len(shares[i]) != want {
			return refuse(CodeBadField, "sealed shares for node %d are %d bytes, want %d for %d segments", i, len(shares[i]), want, len(t.Segments)), nil
		}
	}
	return nil, nil
}

// checkTxDeal runs the node's own DealChecker on a registration in CheckTx.
func (a *App) checkTxDeal(t *Tx) *refusal {
	if a.opts.DealChecker == nil || t.Type != TxRegisterTitle {
		return nil
	}
	var b RegisterTitleBody
	if err := json.Unmarshal(t.Body, &b); err != nil || len(b.Title.ShareRoots) == 0 {
		return nil // FinalizeBlock refuses what does not decode
	}
	c, _, err := a.CurrentCustody()
	if err != nil {
		return nil // FinalizeBlock refuses a deal to a network without custody nodes
	}
	if err := a.opts.DealChecker.CheckDeal(a.ChainID(), c, &b.Title, b.Shares); err != nil {
		return refuse(CodeBadDeal, "%v", err)
	}
	return nil
}

// TitleShares returns node i's sealed shares of a committed title dealt
// by its issuer (a query error wrapping ErrNotFound if there are none).
func (a *App) TitleShares(titleID string, node int) ([]byte, error) {
	p, err := a.db.Get([]byte(keyTitleShares(titleID, node)))
	if err != nil {
		return nil, fmt.Errorf("contract: read shares of %s for node %d: %w", titleID, node, err)
	}
	if p == nil {
		return nil, wrapQuery("title shares", fmt.Sprintf("%s/%d", titleID, node), ErrNotFound)
	}
	return p, nil
}

func (a *App) titleSharesQuery(titleID, node string) ([]byte, error) {
	var i int
	if _, err := fmt.Sscanf(node, "%d", &i); err != nil || i < 0 || i >= custody.MaxNodes || fmt.Sprint(i) != node {
		return nil, wrapQuery("title shares", titleID+"/"+node, ErrNotFound)
	}
	return a.TitleShares(titleID, i)
}

package contract

import (
	"fmt"
	"strings"
)

// The owner index: x/o/<owner ID>/<token ID> for every token an owner
// holds or once held, so listing an owner's tokens reads one key range
// instead of scanning every token. The value is the token's state as this
// owner holds it: "unspent" or "spent", or "gone" once the token was
// transferred away (the store has no deletes: every write is a leaf of the
// block's change set). Mint, transfer and spend keep it; it is agreed state
// (in the app hash) like every other key.
func keyByOwner(owner, tok string) string { return "x/o/" + owner + "/" + tok }

// indexGone marks an index entry of a token the owner gave away.
const indexGone = "gone"

// MaxOwnerTokens bounds one /tokens/owner/ID answer.
const MaxOwnerTokens = 1000

// indexToken records that owner holds tok in state.
func indexToken(v *view, owner, tok, state string) {
	v.put(keyByOwner(owner, tok), []byte(state))
}

// indexTransfer moves a token's entry from one owner to another; a
// transfer to oneself leaves it held.
func indexTransfer(v *view, from, to, tok, state string) {
	indexToken(v, from, tok, indexGone)
	indexToken(v, to, tok, state)
}

// OwnerTokens lists the committed tokens an owner holds now (not those it
// gave away), at most limit, in token ID order. A spent token stays in the
// list, with its state: the owner held it when it was spent.
func (a *App) OwnerTokens(owner string, limit int) ([]*Token, error) {
	if strings.Contains(owner, "/") || owner == "" {
		return nil, fmt.Errorf("contract.OwnerTokens: %w: owner ID %q", ErrNotFound, owner)
	}
	pfx := keyByOwner(owner, "")
	end := []byte(pfx)
	end[len(end)-1]++ // the slash becomes the next byte: the end of the range
	it, err := a.db.Iterator([]byte(pfx), end)
	if err != nil {
		return nil, fmt.Errorf("contract.OwnerTokens: %w", err)
	}
	defer it.Close()
	out := []*Token{}
	for ; it.Valid() && len(out) < limit; it.Next() {
		if string(it.Value()) == indexGone {
			continue
		}
		tok, err := a.Token(strings.TrimPrefix(string(it.Key()), pfx))
		if err != nil {
			return nil, fmt.Errorf("contract.OwnerTokens: the index names a token that does not read: %w", err)
		}
		out = append(out, tok)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("contract.OwnerTokens: %w", err)
	}
	return out, nil
}

package contract

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
)

// ErrNotFound is returned by the queries for an absent record.
var ErrNotFound = errors.New("not found")

// Queries read committed state only: what they return is final.

func (a *App) committed(key string, out any) error {
	p, err := a.db.Get([]byte(key))
	if err != nil {
		return fmt.Errorf("contract: read %q: %w", key, err)
	}
	if p == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(p, out); err != nil {
		return fmt.Errorf("contract: decode %q: %w", key, err)
	}
	return nil
}

// Title returns a committed title.
func (a *App) Title(id string) (*Title, error) {
	var t Title
	return &t, wrapQuery("title", id, a.committed(keyTitle(id), &t))
}

// Station returns a committed station.
func (a *App) Station(id string) (*Station, error) {
	var s Station
	return &s, wrapQuery("station", id, a.committed(keyStation(id), &s))
}

// Token returns a committed token.
func (a *App) Token(id string) (*Token, error) {
	var t Token
	return &t, wrapQuery("token", id, a.committed(keyToken(id), &t))
}

// Spoils returns a station's committed spoiled-disc tally (zero if it has
// reported none). Count is for the period it names, which may be past.
func (a *App) Spoils(station string) (*SpoilCount, error) {
	var sc SpoilCount
	err := a.committed(keySpoils(station), &sc)
	if errors.Is(err, ErrNotFound) {
		return &sc, nil
	}
	return &sc, wrapQuery("spoils", station, err)
}

// Copy returns a committed copy record by job ID.
func (a *App) Copy(jobID string) (*Copy, error) {
	var c Copy
	return &c, wrapQuery("copy", jobID, a.committed(keyCopy(jobID), &c))
}

// Opening returns a committed opening request.
func (a *App) Opening(id string) (*Opening, error) {
	var o Opening
	return &o, wrapQuery("opening", id, a.committed(keyOpening(id), &o))
}

// Accusation returns the accusation recorded from an opening.
func (a *App) Accusation(opening string) (*Accusation, error) {
	var c Accusation
	return &c, wrapQuery("accusation", opening, a.committed(keyAccusation(opening), &c))
}

// Params returns the chain parameters.
func (a *App) Params() (*Params, error) {
	var p Params
	return &p, wrapQuery("params", "", a.committed(keyParams, &p))
}

// Custody returns the network's custody key material from genesis (a
// query error wrapping ErrNotFound on a network made without it).
func (a *App) Custody() (*Custody, error) {
	var c Custody
	return &c, wrapQuery("custody", "", a.committed(keyCustody, &c))
}

// Nonce returns a signer's highest used nonce (0 if none).
func (a *App) Nonce(keyID string) (uint64, error) {
	p, err := a.db.Get([]byte(keyNonce(keyID)))
	if err != nil || len(p) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(p), nil
}

// ChainID returns the chain ID from the genesis.
func (a *App) ChainID() string {
	if p := a.chainID.Load(); p != nil {
		return *p
	}
	return ""
}

// Copies lists the copies of a token ("token") or a station ("station"),
// at most limit, in job ID order.
func (a *App) Copies(by, id string, limit int) ([]*Copy, error) {
	var pfx string
	switch by {
	case "token":
		return a.tokenCopies(id, limit)
	case "station":
		pfx = keyByStation(id, "")
	default:
		return nil, fmt.Errorf("contract.Copies: list by %q: want token or station", by)
	}
	end := []byte(pfx)
	end[len(end)-1]++ // the slash becomes the next byte: the end of the prefix range
	it, err := a.db.Iterator([]byte(pfx), end)
	if err != nil {
		return nil, fmt.Errorf("contract.Copies: %w", err)
	}
	defer it.Close()
	var out []*Copy
	for ; it.Valid() && len(out) < limit; it.Next() {
		c, err := a.Copy(strings.TrimPrefix(string(it.Key()), pfx))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, it.Error()
}

// tokenCopies lists a token's copies: at most one, the job that spent it
// (a token is spent once, by one job, whose retries stay that job's), so
// the token record is its own index and a spend writes none.
func (a *App) tokenCopies(id string, limit int) ([]*Copy, error) {
	tok, err := a.Token(id)
	if errors.Is(err, ErrNotFound) || (err == nil && (tok.Job == "" || limit < 1)) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("contract.Copies: %w", err)
	}
	c, err := a.Copy(tok.Job)
	if err != nil {
		return nil, fmt.Errorf("contract.Copies: token %s names job %s: %w", id, tok.Job, err)
	}
	return []*Copy{c}, nil
}

func wrapQuery(what, id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("contract: %s %q: %w", what, id, err)
}

// Query implements abci.Application. Paths: /title/ID, /station/ID,
// /token/ID, /copy/JOB, /copies/token/ID, /copies/station/ID, /nonce/KEYID,
// /owner/ID (a registered owner), /tokens/owner/ID (the tokens an owner
// holds, from the owner index, unproved: prove each with /token/ID),
// /params, /custody, /title-shares/ID/NODE (node NODE's sealed blob, as a
// JSON string), /custody-epoch (the custody epoch in force, not found at
// epoch 0), /epoch-shares/ID/EPOCH/NODE (new node NODE's resealed blob of
// epoch EPOCH), /player/TREE/LEAF, /revoked-players/TREE, /opening/ID,
// /accusation/ID, /record/TITLE, /validators, /proposal/ID, /titles (the
// registered titles' IDs, sorted: what a resharing reshares). The value is the record's JSON. With Prove, a single record
// comes as stored with a Proof (ProofOpType) in ProofOps and the response
// height is the block that last wrote it: verify it against the AppHash of
// the header one height later.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	parts := strings.Split(strings.TrimPrefix(req.Path, "/"), "/")
	var (
		rec any
		err error
	)
	switch {
	case len(parts) == 2 && parts[0] == "title":
		rec, err = a.Title(parts[1])
	case len(parts) == 2 && parts[0] == "station":
		rec, err = a.Station(parts[1])
	case len(parts) == 2 && parts[0] == "token":
		rec, err = a.Token(parts[1])
	case len(parts) == 2 && parts[0] == "copy":
		rec, err = a.Copy(parts[1])
	case len(parts) == 3 && parts[0] == "copies":
		rec, err = a.Copies(parts[1], parts[2], 1000)
	case len(parts) == 2 && parts[0] == "owner":
		rec, err = a.Owner(parts[1])
	case len(parts) == 3 && parts[0] == "tokens" && parts[1] == "owner":
		rec, err = a.OwnerTokens(parts[2], MaxOwnerTokens)
	case len(parts) == 2 && parts[0] == "nonce":
		rec, err = a.Nonce(parts[1])
	case len(parts) == 1 && parts[0] == "params":
		rec, err = a.Params()
	case len(parts) == 1 && parts[0] == "custody":
		rec, err = a.Custody()
	case len(parts) == 3 && parts[0] == "title-shares":
		rec, err = a.titleSharesQuery(parts[1], parts[2])
	case len(parts) == 1 && parts[0] == "custody-epoch":
		rec, err = a.CustodyEpoch()
	case len(parts) == 1 && parts[0] == "titles":
		rec, err = a.TitleIDs()
	case len(parts) == 4 && parts[0] == "epoch-shares":
		rec, err = a.epochSharesQuery(parts[1], parts[2], parts[3])
	case len(parts) == 3 && parts[0] == "player":
		var leaf uint64
		if leaf, err = strconv.ParseUint(parts[2], 10, 32); err != nil {
			return &abci.QueryResponse{Code: uint32(CodeBadField), Log: fmt.Sprintf("player leaf %q is not a number", parts[2])}, nil
		}
		rec, err = a.Player(parts[1], uint32(leaf))
	case len(parts) == 2 && parts[0] == "revoked-players":
		rec, err = a.RevokedPlayers(parts[1])
	case len(parts) == 2 && parts[0] == "opening":
		rec, err = a.Opening(parts[1])
	case len(parts) == 2 && parts[0] == "accusation":
		rec, err = a.Accusation(parts[1])
	case len(parts) == 2 && parts[0] == "record":
		rec, err = a.Record(parts[1])
	case len(parts) == 1 && parts[0] == "validators":
		rec, err = a.Validators()
	case len(parts) == 2 && parts[0] == "proposal":
		rec, err = a.Proposal(parts[1])
	default:
		return &abci.QueryResponse{Code: uint32(CodeBadField), Log: fmt.Sprintf("unknown query path %q", req.Path)}, nil
	}
	h, _ := a.LastCommit()
	if errors.Is(err, ErrNotFound) {
		return &abci.QueryResponse{Code: uint32(CodeNotFound), Log: err.Error(), Height: h}, nil
	}
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("contract.Query: %w", err)
	}
	resp := &abci.QueryResponse{Code: uint32(OK), Key: []byte(req.Path), Value: js, Height: h}
	if key, ok := StateKey(req.Path); ok && req.Prove {
		// The proof names the stored bytes, which are the record's JSON.
		if resp.Value, err = a.db.Get([]byte(key)); err != nil {
			return nil, err
		}
		if resp.ProofOps, resp.Height, err = a.proofOps(key); err != nil {
			return nil, fmt.Errorf("contract.Query: prove %s: %w", req.Path, err)
		}
	}
	return resp, nil
}

package validatord

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"copystation/custody"
	"copystation/tracing/accuse"
	"copystation/tracing/digests"
	"copystation/tracing/tardos"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
)

// maxOpenings bounds an openings file: 100,000 copies of about 200 bytes.
const maxOpenings = 32 << 20

// Openings is the file `validatord trace --openings` reads: the title's
// opened tracing signature and the opened σ_copy of each copy to score,
// each the combination of t nodes' partials (docs/tracing.md, "Opening").
type Openings struct {
	Title      string          `json:"title"`
	TitleSigma string          `json:"title_sigma"` // hex, 48 bytes
	Copies     []OpenedCopyRef `json:"copies"`
}

// OpenedCopyRef is one opened copy: its job ID and σ_copy.
type OpenedCopyRef struct {
	Job   string `json:"job"`
	Sigma string `json:"sigma"` // hex, 48 bytes
}

// accusedOut is one accused copy in `validatord trace --json`.
type accusedOut struct {
	Copy      string  `json:"copy"` // the job ID
	Token     string  `json:"token"`
	Station   string  `json:"station"`
	Height    int64   `json:"height"`
	Time      int64   `json:"time"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
}

func parseSig(what, h string) (custody.Signature, error) {
	var s custody.Signature
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(s) {
		return s, fmt.Errorf("%w: %s is not %d bytes of hex", accuse.ErrOpening, what, len(s))
	}
	copy(s[:], b)
	return s, nil
}

// score opens nothing itself: it checks the openings against the ledger's
// group key and copy records and scores the copies against the decisions.
func (e *env) score(path string, rec *digests.Record, t *contract.Title, d tardos.Decisions) ([]accusedOut, int, error) {
	b, err := genesis.ReadBounded(path, maxOpenings)
	if err != nil {
		return nil, 0, err
	}
	var op Openings
	if err := json.Unmarshal(b, &op); err != nil {
		return nil, 0, fmt.Errorf("%w: openings file %s: %v", accuse.ErrOpening, path, err)
	}
	if op.Title != t.ID {
		return nil, 0, fmt.Errorf("%w: openings file is for title %q, not %q", accuse.ErrOpening, op.Title, t.ID)
	}
	be, err := e.backend()
	if err != nil {
		return nil, 0, err
	}
	g, err := e.custodyGroup(be)
	if err != nil {
		return nil, 0, err
	}
	chainID, err := be.ChainID(e.ctx)
	if err != nil {
		return nil, 0, err
	}
	at := accuse.Title{ChainID: chainID, ID: t.ID, Params: rec.Params, Segments: len(t.Segments)}
	if at.Sigma, err = parseSig("title_sigma", op.TitleSigma); err != nil {
		return nil, 0, err
	}
	copies := make([]accuse.Copy, len(op.Copies))
	for i, oc := range op.Copies {
		var c contract.Copy
		if err := be.Query(e.ctx, "/copy/"+oc.Job, &c); err != nil {
			return nil, 0, fmt.Errorf("copy %s: %w", oc.Job, err)
		}
		if c.Title != t.ID || len(c.Attempts) == 0 {
			return nil, 0, fmt.Errorf("%w: copy %s is of title %q, not %q", accuse.ErrOpening, oc.Job, c.Title, t.ID)
		}
		first := c.Attempts[0]
		copies[i] = accuse.Copy{JobID: c.JobID, TokenID: c.Token, StationKeyID: c.Station, Height: first.Height, Time: first.Time}
		if copies[i].Sigma, err = parseSig("sigma of "+oc.Job, oc.Sigma); err != nil {
			return nil, 0, err
		}
	}
	acc, err := accuse.Trace(g, at, d, copies)
	if err != nil {
		return nil, 0, err
	}
	out := make([]accusedOut, len(acc))
	for i, a := range acc {
		out[i] = accusedOut{Copy: a.JobID, Token: a.TokenID, Station: a.StationKeyID, Height: a.Height, Time: a.Time, Score: a.Score, Threshold: a.Threshold}
	}
	return out, len(copies), nil
}

func accusedText(n int, acc []accusedOut) string {
	var s strings.Builder
	fmt.Fprintf(&s, "\n%d copies scored, %d accused", n, len(acc))
	for _, a := range acc {
		fmt.Fprintf(&s, "\n  copy %s: token %s, station %s, made at height %d (time %d), score %.2f > threshold %.2f",
			a.Copy, a.Token, a.Station, a.Height, a.Time, a.Score, a.Threshold)
	}
	return s.String()
}

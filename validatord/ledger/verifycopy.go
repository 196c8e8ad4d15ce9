package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"copystation/burn/disc"
	"copystation/validatord/contract"
)

// ErrDiscMismatch: a disc's header does not match the ledger's records: it
// was altered, or is not the copy it claims to be.
var ErrDiscMismatch = errors.New("the disc does not match its ledger record")

// VerifiedCopy is what verifying a disc against the ledger establishes.
type VerifiedCopy struct {
	Title        string `json:"title"`
	TitleName    string `json:"title_name"`
	Registered   int64  `json:"registered_height"`
	Copy         string `json:"copy"`
	Token        string `json:"token"`
	Station      string `json:"station"`
	Attempt      int    `json:"attempt"`
	Height       int64  `json:"height"`
	Time         int64  `json:"time"`
	Outcome      string `json:"outcome"`
	ProvedHeight int64  `json:"proved_height"`
}

// VerifyCopy checks a copy's header (disc.Parse of its first sector)
// against the copy and title records, each read with ProveLight: the title,
// the package root (the title's content hash), the profile, and an attempt
// on the header's media ID. A header that does not match is
// ErrDiscMismatch; a record not committed by the trusted validators is
// ErrNotCommitted.
func (r *Remote) VerifyCopy(ctx context.Context, tr *Trust, h *disc.Header) (*VerifiedCopy, error) {
	var c contract.Copy
	p, err := r.ProveLight(ctx, tr, "/copy/"+h.CopyID, &c)
	if err != nil {
		return nil, err
	}
	var t contract.Title
	if _, err := r.ProveLight(ctx, tr, "/title/"+h.TitleID, &t); err != nil {
		return nil, err
	}
	switch {
	case c.Title != h.TitleID:
		return nil, fmt.Errorf("ledger.VerifyCopy: %w: the header names title %s, the ledger's copy %s is of %s", ErrDiscMismatch, h.TitleID, c.JobID, c.Title)
	case !bytes.Equal(t.ContentHash, h.PackageRoot[:]):
		return nil, fmt.Errorf("ledger.VerifyCopy: %w: the header's package root %x is not title %s's content %x", ErrDiscMismatch, h.PackageRoot, t.ID, t.ContentHash)
	case c.Profile != h.Profile:
		return nil, fmt.Errorf("ledger.VerifyCopy: %w: the header says profile %#x, the copy was authorised for %#x", ErrDiscMismatch, h.Profile, c.Profile)
	}
	for i, a := range c.Attempts {
		if bytes.Equal(a.MediaID, h.MediaID) {
			return &VerifiedCopy{Title: t.ID, TitleName: t.Name, Registered: t.Height, Copy: c.JobID, Token: c.Token, Station: c.Station,
				Attempt: i, Height: a.Height, Time: a.Time, Outcome: a.Outcome, ProvedHeight: p.HeaderHeight}, nil
		}
	}
	return nil, fmt.Errorf("ledger.VerifyCopy: %w: no attempt of copy %s was on media %x (the header's)", ErrDiscMismatch, c.JobID, h.MediaID)
}

// String is the verified record for people.
func (v *VerifiedCopy) String() string {
	return fmt.Sprintf("copy %s of %s (%q, registered at height %d): token %s, station %s\n  attempt %d on this disc: %s, authorised at height %d (Unix time %d)\n  verified: the record's proof against a header signed by the genesis validators (height %d)",
		v.Copy, v.Title, v.TitleName, v.Registered, v.Token, v.Station, v.Attempt, v.Outcome, v.Height, v.Time, v.ProvedHeight)
}

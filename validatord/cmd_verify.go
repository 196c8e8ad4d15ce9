package validatord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"copystation/burn/disc"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// ErrDiscMismatch: the disc's header does not match the ledger's records:
// it was altered, or is not the copy it claims to be.
var ErrDiscMismatch = errors.New("the disc does not match its ledger record")

// verifiedCopy is `validatord copies verify --json`.
type verifiedCopy struct {
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

// cmdCopiesVerify reads a copy's header from a disc image file and checks
// it against the copy's record, proved with a light-client check against
// the validators of the genesis the verifier trusts.
func cmdCopiesVerify(e *env, args []string) error {
	e.nodeFlags()
	image := e.fs.String("image", "", "a copy's disc image, from its header sector on")
	gen := e.fs.String("genesis", "", "the network's genesis file to trust (default: the home's)")
	if err := e.parse(args, "image"); err != nil {
		return err
	}
	if *gen == "" {
		if e.home == "" {
			return usagef("give --genesis FILE (or --home, whose genesis is trusted)")
		}
		*gen = filepath.Join(e.home, chain.FileGenesis)
	}
	tr, err := ledger.TrustGenesis(*gen)
	if err != nil {
		return err
	}
	h, err := readHeader(*image)
	if err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	v, err := verifyCopy(ctx, b, tr, h)
	if err != nil {
		return err
	}
	e.print(v, fmt.Sprintf("copy %s of %s (%q, registered at height %d): token %s, station %s\n  attempt %d on this disc: %s, authorised at height %d (%s)\n  verified: the record's proof against a header signed by the genesis validators (height %d)",
		v.Copy, v.Title, v.TitleName, v.Registered, v.Token, v.Station, v.Attempt, v.Outcome, v.Height, time.Unix(v.Time, 0).UTC().Format(time.RFC3339), v.ProvedHeight))
	return nil
}

func readHeader(path string) (*disc.Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sector := make([]byte, disc.SectorSize)
	if _, err := io.ReadFull(f, sector); err != nil {
		return nil, fmt.Errorf("%w: %s has no header sector: %v", ErrDiscMismatch, path, err)
	}
	return disc.Parse(sector)
}

// verifyCopy checks the header against the proved copy and title records.
func verifyCopy(ctx context.Context, b *ledger.Remote, tr *ledger.Trust, h *disc.Header) (*verifiedCopy, error) {
	var c contract.Copy
	p, err := b.ProveLight(ctx, tr, "/copy/"+h.CopyID, &c)
	if err != nil {
		return nil, err
	}
	var t contract.Title
	if _, err := b.ProveLight(ctx, tr, "/title/"+h.TitleID, &t); err != nil {
		return nil, err
	}
	switch {
	case c.Title != h.TitleID:
		return nil, fmt.Errorf("%w: the header names title %s, the ledger's copy %s is of %s", ErrDiscMismatch, h.TitleID, c.JobID, c.Title)
	case !bytes.Equal(t.ContentHash, h.PackageRoot[:]):
		return nil, fmt.Errorf("%w: the header's package root %x is not title %s's content %x", ErrDiscMismatch, h.PackageRoot, t.ID, t.ContentHash)
	case c.Profile != h.Profile:
		return nil, fmt.Errorf("%w: the header says profile %#x, the copy was authorised for %#x", ErrDiscMismatch, h.Profile, c.Profile)
	}
	for i, a := range c.Attempts {
		if bytes.Equal(a.MediaID, h.MediaID) {
			return &verifiedCopy{Title: t.ID, TitleName: t.Name, Registered: t.Height, Copy: c.JobID, Token: c.Token, Station: c.Station,
				Attempt: i, Height: a.Height, Time: a.Time, Outcome: a.Outcome, ProvedHeight: p.HeaderHeight}, nil
		}
	}
	return nil, fmt.Errorf("%w: no attempt of copy %s was on media %x (the header's)", ErrDiscMismatch, c.JobID, h.MediaID)
}

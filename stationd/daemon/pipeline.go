package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"copystation/burn"
	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/custody/playertree"
	"copystation/drive"
	"copystation/stationd/config"
	"copystation/stationd/titles"
)

// BurnPipeline is the Pipeline over the burn package: title packages from
// a directory, written to an MMCDrive.
type BurnPipeline struct {
	TitlesDir string
	// Installed holds the install records (stationd titles add). A title
	// whose file matches its record is burned in one pass
	// (burn.Job.SinglePass); one without a record is authenticated whole
	// first, as before; one whose file changed is refused before the
	// spend. Nil: no records, every burn authenticates first.
	Installed *titles.Store
	Clock     func() time.Time
	// Players writes the disc key blocks: the pinned player tree under
	// the pinned group key, its pairings kept across copies.
	Players *playertree.Encrypter
	// Rand draws each key block's randomness; nil is crypto/rand.
	Rand io.Reader
}

var (
	_ Pipeline       = (*BurnPipeline)(nil)
	_ Verifier       = (*BurnPipeline)(nil)
	_ PackageChecker = (*BurnPipeline)(nil)
	_ Resumer        = (*BurnPipeline)(nil)
)

type clockFunc func() time.Time

func (c clockFunc) Now() time.Time { return c() }

// phaseOf maps the pipeline's steps onto the job's states.
var phaseOf = map[burn.Phase]Phase{
	burn.PhaseAuthenticate: PhaseWriting,
	burn.PhaseCheck:        PhaseWriting,
	burn.PhaseWrite:        PhaseWriting,
	burn.PhaseSync:         PhaseWriting,
	burn.PhaseVerify:       PhaseVerifying,
	burn.PhaseFinalise:     PhaseFinalising,
}

// Copy implements Pipeline.
func (p *BurnPipeline) Copy(ctx context.Context, d Drive, c CopyJob, progress func(Progress) error) ([]byte, error) {
	md, ok := d.(*MMCDrive)
	if !ok {
		return nil, fmt.Errorf("burn pipeline: drive %s is not an MMC drive", d.Name())
	}
	path := filepath.Join(p.TitlesDir, titlepkg.FileName(c.TitleID))
	tk, err := burn.TitleKeys(c.Keys)
	if err != nil {
		return nil, fmt.Errorf("%w: title %s: %w", ErrNoRetry, c.TitleID, err)
	}
	// The install record is checked again here, after the spend: the file
	// may have changed since CheckPackage, and then it is authenticated
	// whole before the drive is touched, as an uninstalled one.
	single := false
	if p.Installed != nil {
		_, err := p.Installed.Check(c.TitleID)
		single = err == nil
	}
	pkg, err := titlepkg.Open(path, tk)
	tk.Wipe() // the package keeps only the keys derived from them
	if err != nil {
		return nil, fmt.Errorf("%w: title %s: %w", ErrNoRetry, c.TitleID, err)
	}
	defer pkg.Close()
	clock := p.Clock
	if clock == nil {
		clock = time.Now
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	players := &burn.Players{Encrypter: p.Players, Revoked: c.Keys.Revoked, Rand: rnd}
	job := burn.Job{Package: pkg, Keys: c.Keys, CopyID: c.CopyID, MediaID: c.Media.MediaID, Clock: clockFunc(clock), Resume: c.Resume, Players: players, SinglePass: single,
		Progress: func(bp burn.Progress) error {
			ph, ok := phaseOf[bp.Phase]
			if !ok {
				return nil
			}
			return progress(Progress{Phase: ph, Step: string(bp.Phase), Done: bp.Done, Total: bp.Total})
		}}
	res, err := burn.Copy(ctx, md.D, job)
	if err != nil {
		if single && errors.Is(err, burn.ErrPackage) {
			// The installed file no longer authenticates: this disc is
			// spoiled, and no later copy is spent on it until the title
			// is installed again.
			if merr := p.Installed.MarkFailed(c.TitleID, fmt.Sprintf("job %s: %v", c.CopyID, err)); merr != nil {
				err = errors.Join(err, merr)
			}
		}
		if errors.Is(err, burn.ErrPackage) || errors.Is(err, burn.ErrJob) || errors.Is(err, burn.ErrNoRoom) {
			err = fmt.Errorf("%w: %w", ErrNoRetry, err)
		}
		return nil, err
	}
	return res.DiscDigest[:], nil
}

// ResumesWrites implements Resumer (burn.Job.Resume).
func (p *BurnPipeline) ResumesWrites() bool { return true }

// CheckPackage implements PackageChecker: before the spend, an installed
// package must be the file installed (titles.Store.Check: one stat call),
// the package must be there and sound as far as can be told without its
// key (titlepkg.Inspect), and the copy must fit the blank in a BD profile.
func (p *BurnPipeline) CheckPackage(ctx context.Context, titleID string, m Media) error {
	if p.Installed != nil {
		if _, err := p.Installed.Check(titleID); err != nil && !errors.Is(err, titles.ErrNotInstalled) {
			return fmt.Errorf("check package: title %s: %w: %w", titleID, ErrTitlePackage, err)
		}
	}
	path := filepath.Join(p.TitlesDir, titlepkg.FileName(titleID))
	man, err := titlepkg.Inspect(path, titleID)
	if err != nil {
		return fmt.Errorf("check package: title %s: %w: %w", titleID, ErrTitlePackage, err)
	}
	switch drive.Profile(m.Profile) {
	case drive.ProfileBDRSRM, drive.ProfileBDRRRM, drive.ProfileBDRE:
	default:
		return fmt.Errorf("check package: %w: profile %#04x", ErrWrongMedia, m.Profile)
	}
	// The disc key block's size is known only after the spend (it covers
	// the players revoked at the spend's height), so the check reserves
	// the largest header region a block may need (12 MiB): a blank this
	// passes never runs out of room after the token is spent.
	l, err := disc.NewLayout(0, disc.MaxHeaderSectors, man.ImageSize)
	if err != nil {
		return fmt.Errorf("check package: title %s: %w: %w", titleID, ErrTitlePackage, err)
	}
	if m.CapacitySectors > 0 && l.Sectors() > uint64(m.CapacitySectors) {
		return fmt.Errorf("check package: title %s: %w: the copy needs up to %d sectors (with the largest disc key block), the blank holds %d", titleID, ErrNoRoom, l.Sectors(), m.CapacitySectors)
	}
	return nil
}

// Verify implements Verifier: burn.VerifyDisc over the job's package.
func (p *BurnPipeline) Verify(ctx context.Context, d Drive, c CopyJob, progress func(Progress) error) ([]byte, error) {
	md, ok := d.(*MMCDrive)
	if !ok {
		return nil, fmt.Errorf("burn pipeline: drive %s is not an MMC drive", d.Name())
	}
	tk, err := burn.TitleKeys(c.Keys)
	if err != nil {
		return nil, fmt.Errorf("%w: title %s: %w", ErrNoRetry, c.TitleID, err)
	}
	pkg, err := titlepkg.Open(filepath.Join(p.TitlesDir, titlepkg.FileName(c.TitleID)), tk)
	tk.Wipe()
	if err != nil {
		return nil, fmt.Errorf("%w: title %s: %w", ErrNoRetry, c.TitleID, err)
	}
	defer pkg.Close()
	clock := p.Clock
	if clock == nil {
		clock = time.Now
	}
	res, err := burn.VerifyDisc(ctx, md.D, burn.Job{Package: pkg, Keys: c.Keys, CopyID: c.CopyID, MediaID: c.Media.MediaID, Clock: clockFunc(clock),
		Progress: func(bp burn.Progress) error {
			return progress(Progress{Phase: PhaseVerifying, Step: string(bp.Phase), Done: bp.Done, Total: bp.Total})
		}})
	if err != nil {
		return nil, err
	}
	return res.DiscDigest[:], nil
}

// RealPipeline is the default Deps.Pipeline: the burn package over the
// configured titles directory, with the install records under the state
// directory.
func RealPipeline(c config.Config) (Pipeline, error) {
	e, err := PlayersOf(c)
	if err != nil {
		return nil, err
	}
	return &BurnPipeline{TitlesDir: c.TitlesDir, Players: e, Installed: titles.ForState(c.StateDir, c.TitlesDir)}, nil
}

// PlayersOf makes the disc key block encrypter for the player tree the
// configuration pins, under the group key of its pinned custody group.
func PlayersOf(c config.Config) (*playertree.Encrypter, error) {
	b, err := hex.DecodeString(c.CustodyGroup)
	if err != nil {
		return nil, fmt.Errorf("custody_group: %w", err)
	}
	g, err := custody.UnmarshalGroup(b)
	if err != nil {
		return nil, fmt.Errorf("custody_group: %w", err)
	}
	e, err := playertree.NewEncrypter(g.Key(), playertree.Tree{ID: c.Players.Tree, Depth: uint8(c.Players.Depth)})
	if err != nil {
		return nil, fmt.Errorf("players: %w", err)
	}
	return e, nil
}

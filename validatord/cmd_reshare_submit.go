package validatord

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"copystation/custody"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
)

// Refusals of `reshare submit`.
var (
	// ErrNoParts: no new node has finished `reshare run` in the exchange
	// directory yet.
	ErrNoParts = errors.New("no resharing parts in the exchange directory")
	// ErrForeignPart: the exchange directory holds a part that is not the
	// session's (another epoch's file, or a body naming another epoch or
	// chain), or the session's parts are not the run's complete sequence;
	// nothing is submitted.
	ErrForeignPart = errors.New("a resharing part in the exchange directory is not this session's")
)

// partRE is the name partName gives; the glob partsGlob may match more.
var partRE = regexp.MustCompile(`^epoch-([0-9]+)-part-([0-9]{5})\.json$`)

// cmdReshareSubmit submits the parts a `reshare run` wrote for the
// session's epoch, in order, as tx 26 signed with an operator key. Every
// part is read and checked against the session before the first is
// submitted.
func cmdReshareSubmit(e *env, args []string) error {
	e.nodeFlags()
	session := e.fs.String("session", "", "the session file (reshare assemble) whose parts to submit")
	dir := e.fs.String("dir", "", "the exchange directory holding the parts")
	key := e.keyFlag("key", FileOperatorKey, "the operator key file that signs tx 26")
	if err := e.parse(args, "session", "dir"); err != nil {
		return err
	}
	s, err := readReshareSession(*session)
	if err != nil {
		return err
	}
	files, bodies, err := sessionParts(*dir, s)
	if err != nil {
		return err
	}
	a, err := e.adminFor(*key, FileOperatorKey)
	if err != nil {
		return err
	}
	for i, body := range bodies {
		if _, err := a.Do(e.ctx, "custody epoch", contract.TxCustodyEpoch, body); err != nil {
			return fmt.Errorf("reshare submit: part %d of %d (%s): %w", i+1, len(files), files[i], err)
		}
	}
	e.print(map[string]any{"epoch": s.Epoch, "parts": len(files)}, fmt.Sprintf("submitted %d resharing parts of epoch %d", len(files), s.Epoch))
	return nil
}

// sessionParts reads the session's parts from dir in order: every file
// the glob matches must be one of them, numbered from 0 without a gap,
// each body of the session's epoch, the record (and only it) last and of
// the session's chain and epoch.
func sessionParts(dir string, s *genesis.ReshareSession) ([]string, []contract.CustodyEpochBody, error) {
	files, err := filepath.Glob(filepath.Join(dir, partsGlob))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: %s holds no %s; run validatord reshare run first", ErrNoParts, dir, partsGlob)
	}
	sort.Strings(files)
	foreign := func(f, format string, args ...any) error {
		return fmt.Errorf("%s: %w (session of chain %s, epoch %d): %s; the exchange directory must hold this session's parts only: move the file out, or rerun validatord reshare run for this session, then submit again",
			f, ErrForeignPart, s.ChainID, s.Epoch, fmt.Sprintf(format, args...))
	}
	// names first: another epoch's file anywhere refuses the lot
	for _, f := range files {
		m := partRE.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			return nil, nil, foreign(f, "not a part name reshare run writes (epoch-E-part-NNNNN.json)")
		}
		if e, err := strconv.ParseUint(m[1], 10, 32); err != nil || uint32(e) != s.Epoch {
			return nil, nil, foreign(f, "a part of epoch %s", m[1])
		}
	}
	var bodies []contract.CustodyEpochBody
	for i, f := range files {
		m := partRE.FindStringSubmatch(filepath.Base(f))
		if n, _ := strconv.Atoi(m[2]); n != i {
			return nil, nil, foreign(f, "part %d where part %d comes next: a part is missing", n, i)
		}
		p, err := genesis.ReadBounded(f, genesis.MaxReshareSize*4)
		if err != nil {
			return nil, nil, err
		}
		var body contract.CustodyEpochBody
		if err := json.Unmarshal(p, &body); err != nil {
			return nil, nil, foreign(f, "not a part's JSON (%v)", err)
		}
		if body.Epoch != s.Epoch {
			return nil, nil, foreign(f, "its body names epoch %d", body.Epoch)
		}
		last := i == len(files)-1
		if (len(body.Record) > 0) != last {
			return nil, nil, foreign(f, "the record must be the last part, and only it")
		}
		if last {
			rec, err := custody.UnmarshalEpochRecord(body.Record)
			if err != nil {
				return nil, nil, foreign(f, "its record does not decode (%v)", err)
			}
			if rec.ChainID != s.ChainID || rec.Epoch != s.Epoch {
				return nil, nil, foreign(f, "its record is chain %s's epoch %d", rec.ChainID, rec.Epoch)
			}
		}
		bodies = append(bodies, body)
	}
	return files, bodies, nil
}

package titles

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"copystation/atomicfile"
	"copystation/burn/titlepkg"
)

// Store is a station's installed titles: the packages in TitlesDir and
// their records in RecordsDir (under the station's state directory).
type Store struct {
	TitlesDir  string
	RecordsDir string
	// Now stamps records; nil is time.Now.
	Now func() time.Time
}

// ForState is the store of a station whose state directory is stateDir
// and whose packages are in titlesDir: records go in stateDir/installed.
func ForState(stateDir, titlesDir string) *Store {
	return &Store{TitlesDir: titlesDir, RecordsDir: filepath.Join(stateDir, "installed")}
}

// recordExt names record files: <title ID>.installed.json.
const recordExt = ".installed.json"

func (s *Store) recordPath(titleID string) string {
	return filepath.Join(s.RecordsDir, titleID+recordExt)
}

// AddOptions tune Add.
type AddOptions struct {
	// ContentHash, if set, is the content hash the title was registered
	// with on the ledger (`validatord title show`): the package's integrity
	// root must equal it.
	ContentHash []byte
}

// Add installs the package file at src: it checks it (Inspect: manifest,
// size, every chunk tag against the root; the root against
// opts.ContentHash), copies it into TitlesDir while hashing every byte
// (or, when src already is the installed path, hashes it in place), and
// writes its record. The copy is made under a temporary name, synced and
// renamed, so the titles directory never holds half a package.
func (s *Store) Add(ctx context.Context, src string, opts AddOptions) (*Record, error) {
	m, err := inspect(src)
	if err != nil {
		return nil, err
	}
	if opts.ContentHash != nil && !bytes.Equal(opts.ContentHash, m.Root[:]) {
		return nil, fmt.Errorf("titles.Add: %w: the package's integrity root is %x, the ledger registered %x: not the registered title", ErrPackage, m.Root, opts.ContentHash)
	}
	for _, d := range []string{s.TitlesDir, s.RecordsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("titles.Add: %w", err)
		}
	}
	dst := filepath.Join(s.TitlesDir, titlepkg.FileName(m.TitleID))
	// A new file takes the old one's place only after its record is gone,
	// so no record ever names a file it was not made from.
	if err := os.Remove(s.recordPath(m.TitleID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	var sum []byte
	if same, _ := sameFile(src, dst); same {
		sum, err = hashFile(ctx, dst)
	} else {
		sum, err = copyInto(ctx, src, dst)
	}
	if err != nil {
		return nil, err
	}
	// Check what landed, not only what was read: the tags and the size of
	// the installed file.
	if _, err := inspect(dst); err != nil {
		return nil, err
	}
	r := &Record{Version: RecordVersion, TitleID: m.TitleID, File: titlepkg.FileName(m.TitleID), SHA256: hex.EncodeToString(sum),
		Root: hex.EncodeToString(m.Root[:]), Chunks: m.ChunkCount, InstalledAt: s.now().UTC()}
	if err := statInto(dst, r); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(s.recordPath(m.TitleID), r.Marshal()); err != nil {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	return r, nil
}

// Check is the cheap check before a spend: the title's record exists, no
// burn has found the file unsound, and the file is the one installed (one
// stat call: inode, size, modification and change times). It returns the
// record.
func (s *Store) Check(titleID string) (*Record, error) {
	r, err := s.Get(titleID)
	if err != nil {
		return nil, err
	}
	if r.Failed != "" {
		return nil, fmt.Errorf("titles.Check: title %s: %w (%s)", titleID, ErrChanged, r.Failed)
	}
	var now Record
	if err := statInto(filepath.Join(s.TitlesDir, r.File), &now); err != nil {
		return nil, fmt.Errorf("titles.Check: title %s: %w: %w", titleID, ErrChanged, err)
	}
	// The device number is not compared: a device-mapper or network
	// volume may come back under another number after a reboot, and the
	// titles directory is one file system anyway.
	if now.Size != r.Size || now.Inode != r.Inode || now.MtimeNS != r.MtimeNS || now.CtimeNS != r.CtimeNS {
		return nil, fmt.Errorf("titles.Check: title %s: %w (installed %d bytes, inode %d, changed %s; now %d bytes, inode %d, changed %s)", titleID, ErrChanged,
			r.Size, r.Inode, time.Unix(0, r.CtimeNS).UTC().Format(time.RFC3339), now.Size, now.Inode, time.Unix(0, now.CtimeNS).UTC().Format(time.RFC3339))
	}
	return r, nil
}

// Get reads a title's record.
func (s *Store) Get(titleID string) (*Record, error) {
	if !titlepkg.ValidTitleID(titleID) {
		return nil, fmt.Errorf("titles: %w: title ID %q", ErrNotInstalled, titleID)
	}
	b, err := readBounded(s.recordPath(titleID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("titles: title %s: %w", titleID, ErrNotInstalled)
	}
	if err != nil {
		return nil, fmt.Errorf("titles: title %s: %w", titleID, err)
	}
	r, err := ParseRecord(b)
	if err != nil {
		return nil, fmt.Errorf("titles: title %s: %w", titleID, err)
	}
	if r.TitleID != titleID {
		return nil, fmt.Errorf("titles: title %s: %w: the record names title %s", titleID, ErrRecord, r.TitleID)
	}
	return r, nil
}

// MarkFailed writes into a title's record that a burn found it unsound,
// so Check refuses it until it is installed again.
func (s *Store) MarkFailed(titleID, why string) error {
	r, err := s.Get(titleID)
	if err != nil {
		return err
	}
	r.Failed = fmt.Sprintf("%s: %s", s.now().UTC().Format(time.RFC3339), why)
	if len(r.Failed) > 1024 {
		r.Failed = r.Failed[:1024]
	}
	if err := atomicfile.Write(s.recordPath(titleID), r.Marshal()); err != nil {
		return fmt.Errorf("titles.MarkFailed: %w", err)
	}
	return nil
}

// List returns every record, sorted by title; a malformed record is
// returned as an error beside the others.
func (s *Store) List() ([]Record, error) {
	ents, err := os.ReadDir(s.RecordsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("titles.List: %w", err)
	}
	var out []Record
	var errs []error
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), recordExt)
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		r, err := s.Get(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TitleID < out[j].TitleID })
	return out, errors.Join(errs...)
}

// Remove deletes a title's record, then its package.
func (s *Store) Remove(titleID string) error {
	if !titlepkg.ValidTitleID(titleID) {
		return fmt.Errorf("titles.Remove: %w: title ID %q", ErrNotInstalled, titleID)
	}
	err := os.Remove(s.recordPath(titleID))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("titles.Remove: title %s: %w", titleID, ErrNotInstalled)
	}
	if err != nil {
		return fmt.Errorf("titles.Remove: %w", err)
	}
	if err := os.Remove(filepath.Join(s.TitlesDir, titlepkg.FileName(titleID))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("titles.Remove: %w", err)
	}
	return syncDir(s.RecordsDir)
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// inspect checks a package file without its key (titlepkg.Inspect),
// taking the title ID from its own manifest.
func inspect(path string) (*titlepkg.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("titles: %w: %w", ErrPackage, err)
	}
	defer f.Close()
	var head [16]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return nil, fmt.Errorf("titles: %w: %s: reading its header: %v", ErrPackage, path, err)
	}
	n, err := titlepkg.ManifestLen(head[:])
	if err != nil {
		return nil, fmt.Errorf("titles: %w: %s: %w", ErrPackage, path, err)
	}
	enc := make([]byte, n)
	if _, err := f.ReadAt(enc, 0); err != nil {
		return nil, fmt.Errorf("titles: %w: %s: reading its manifest: %v", ErrPackage, path, err)
	}
	m, err := titlepkg.ParseManifest(enc)
	if err != nil {
		return nil, fmt.Errorf("titles: %w: %s: %w", ErrPackage, path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("titles: %w: %w", ErrPackage, err)
	}
	if m, err = titlepkg.InspectReader(f, st.Size(), m.TitleID); err != nil {
		return nil, fmt.Errorf("titles: %w: %s: %w", ErrPackage, path, err)
	}
	return m, nil
}

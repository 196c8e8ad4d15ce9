package screen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"copystation/burn/titlepkg"
)

// Display is a title's display metadata: the sidecar file
// titles_dir/<title>.display.json next to the package (see
// docs/title-package.md). It is not in the package manifest on purpose:
// the manifest's MAC needs the package key, which the station gets only
// after a spend, so display data inside it could not be checked before a
// customer chooses anyway, and the issuer can change a poster without
// re-sealing a package.
type Display struct {
	Name           string `json:"name"`
	RunningMinutes int    `json:"running_minutes"`
	Year           int    `json:"year,omitempty"`
	Synopsis       string `json:"synopsis,omitempty"`
}

// Limits of the sidecar and the poster.
const (
	DisplayExt    = ".display.json"
	maxDisplay    = 4 << 10
	maxName       = 120
	maxSynopsis   = 600
	maxPoster     = 1 << 20
	bdSingleLayer = 25_025_314_816 // bytes on a BD-R single layer
)

// ErrDisplay is the error for a sidecar that is not display metadata.
var ErrDisplay = errors.New("not valid title display metadata")

// ParseDisplay reads a sidecar strictly: bounded, no unknown fields, a
// name of printable text, a running time of 1 to 1000 minutes.
func ParseDisplay(b []byte) (*Display, error) {
	if len(b) > maxDisplay {
		return nil, fmt.Errorf("screen.ParseDisplay: %w: %d bytes, at most %d", ErrDisplay, len(b), maxDisplay)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Display
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("screen.ParseDisplay: %w: %v", ErrDisplay, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("screen.ParseDisplay: %w: data after the JSON object", ErrDisplay)
	}
	switch {
	case !printable(d.Name, maxName) || strings.TrimSpace(d.Name) == "":
		return nil, fmt.Errorf("screen.ParseDisplay: %w: name must be 1 to %d printable characters", ErrDisplay, maxName)
	case d.RunningMinutes < 1 || d.RunningMinutes > 1000:
		return nil, fmt.Errorf("screen.ParseDisplay: %w: running_minutes must be 1 to 1000", ErrDisplay)
	case d.Year != 0 && (d.Year < 1870 || d.Year > 9999):
		return nil, fmt.Errorf("screen.ParseDisplay: %w: year must be 1870 to 9999", ErrDisplay)
	case !printable(d.Synopsis, maxSynopsis):
		return nil, fmt.Errorf("screen.ParseDisplay: %w: synopsis must be at most %d printable characters", ErrDisplay, maxSynopsis)
	}
	return &d, nil
}

func printable(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Title is one catalog entry.
type Title struct {
	ID        string
	Display   Display
	Format    string // the disc it makes, in a customer's words
	ImageSize int64
	Poster    string // file name in titles_dir, "" if none
}

// RunningTime is the running time as a person reads it ("1 h 36 min").
func (t *Title) RunningTime() string {
	m := t.Display.RunningMinutes
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// catalog lists the titles a station can copy: every package in
// titles_dir that titlepkg.Inspect accepts. Inspecting reads the chunk
// tags, so entries are kept until the file's size or time changes.
type catalog struct {
	dir   string
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	size  int64
	mtime time.Time
	title Title
	err   error
}

func newCatalog(dir string) *catalog { return &catalog{dir: dir, cache: map[string]cached{}} }

// List returns the titles in name order; a package that fails its check
// is left out (the station's log says why).
func (c *catalog) List() ([]Title, map[string]error) {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, map[string]error{c.dir: err}
	}
	var out []Title
	bad := map[string]error{}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), titlepkg.Ext)
		if !ok || e.IsDir() || !titlepkg.ValidTitleID(id) {
			continue
		}
		t, err := c.Get(id)
		if err != nil {
			bad[id] = err
			continue
		}
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Title) int { return strings.Compare(a.Display.Name, b.Display.Name) })
	return out, bad
}

// ErrNoTitle is the error for a title this station has no package for.
var ErrNoTitle = errors.New("this station has no such title")

// Get returns one title.
func (c *catalog) Get(id string) (*Title, error) {
	if !titlepkg.ValidTitleID(id) {
		return nil, fmt.Errorf("%w: %q", ErrNoTitle, id)
	}
	path := filepath.Join(c.dir, titlepkg.FileName(id))
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoTitle, id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cache[id]; ok && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) {
		return &e.title, e.err
	}
	t, err := c.load(id, path)
	c.cache[id] = cached{size: fi.Size(), mtime: fi.ModTime(), title: t, err: err}
	return &t, err
}

func (c *catalog) load(id, path string) (Title, error) {
	m, err := titlepkg.Inspect(path, id)
	if err != nil {
		return Title{}, err
	}
	t := Title{ID: id, ImageSize: m.ImageSize, Display: Display{Name: id, RunningMinutes: 1}}
	t.Format = "Blu-ray disc, 25 GB"
	if m.ImageSize > bdSingleLayer {
		t.Format = "Blu-ray disc, 50 GB (dual layer)"
	}
	if b, err := readBounded(filepath.Join(c.dir, id+DisplayExt), maxDisplay); err == nil {
		d, err := ParseDisplay(b)
		if err != nil {
			return Title{}, fmt.Errorf("%s%s: %w", id, DisplayExt, err)
		}
		t.Display = *d
	}
	for _, ext := range []string{".poster.png", ".poster.jpg"} {
		if fi, err := os.Stat(filepath.Join(c.dir, id+ext)); err == nil && fi.Mode().IsRegular() && fi.Size() <= maxPoster {
			t.Poster = id + ext
			break
		}
	}
	return t, nil
}

// readBounded reads a small file, refusing one larger than limit.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

package simstation

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"copystation/simulator/drivesim"
	"copystation/stationd/daemon"
)

// Loader is a disc loader for in-process simulated drives: it puts blanks
// from an input stack into a drive and takes discs out to an output or a
// reject bin. It implements daemon.Robot.
type Loader struct {
	Media drivesim.MediaType

	mu     sync.Mutex
	drives []*drivesim.Drive
	blanks int
	out    []*drivesim.Disc
	reject []*drivesim.Disc
}

var _ daemon.Robot = (*Loader)(nil)

// ErrNoBlanks is returned when the input stack is empty.
var ErrNoBlanks = errors.New("loader: the input stack has no blanks left; add blanks")

// NewLoader returns a loader for drives with blanks of media m.
func NewLoader(drives []*drivesim.Drive, m drivesim.MediaType, blanks int) *Loader {
	return &Loader{Media: m, drives: drives, blanks: blanks}
}

// LoadBlank implements daemon.Robot.
func (l *Loader) LoadBlank(_ context.Context, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n >= len(l.drives) {
		return fmt.Errorf("loader: no drive %d", n)
	}
	if l.blanks == 0 {
		return ErrNoBlanks
	}
	if err := l.drives[n].Insert(l.Media); err != nil {
		return fmt.Errorf("loader: drive %d: %w", n, err)
	}
	l.blanks--
	return nil
}

// Unload implements daemon.Robot.
func (l *Loader) Unload(_ context.Context, n int, good bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n >= len(l.drives) {
		return fmt.Errorf("loader: no drive %d", n)
	}
	d, err := l.drives[n].Remove()
	if err != nil {
		return fmt.Errorf("loader: drive %d: %w", n, err)
	}
	if good {
		l.out = append(l.out, d)
	} else {
		l.reject = append(l.reject, d)
	}
	return nil
}

// Bins reports the loader's stacks.
func (l *Loader) Bins() (blanks, out, reject int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.blanks, len(l.out), len(l.reject)
}

// TakeOutput removes and returns the newest disc in the output bin.
func (l *Loader) TakeOutput() *drivesim.Disc {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.out) == 0 {
		return nil
	}
	d := l.out[len(l.out)-1]
	l.out = l.out[:len(l.out)-1]
	return d
}

// Close closes every disc in the bins.
func (l *Loader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, d := range append(l.out, l.reject...) {
		errs = append(errs, d.Close())
	}
	l.out, l.reject = nil, nil
	return errors.Join(errs...)
}

// MediaType is a simulated blank's type.
type MediaType = drivesim.MediaType

// ParseMedia reads bd-r-25, bd-r-50 or bd-re-25.
func ParseMedia(s string) (MediaType, error) { return drivesim.ParseMediaType(s) }

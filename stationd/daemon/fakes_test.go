package daemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"copystation/keys"
	"copystation/robot"
	"copystation/stationd/job"
)

// These doubles stand in for parts built elsewhere while the runner's own
// logic is tested; the integration tests use the real stand-ins.

type testDrive struct {
	mu      sync.Mutex
	n       int
	present bool
	written bool
	id      int
	// noID: the drive gives no media ID, as a real drive without AACS bus
	// authentication does.
	noID bool
}

func (d *testDrive) MediaInfo(context.Context) (Media, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := Media{Present: d.present, Blank: d.present && !d.written, Profile: 0x41, MediaID: []byte(fmt.Sprintf("media-%d-%d", d.n, d.id))}
	if d.noID && d.present {
		m.MediaID, m.MediaIDErr = nil, errIllegalRequest
	}
	return m, nil
}
func (d *testDrive) Finalize(context.Context) error { return nil }
func (d *testDrive) Name() string                   { return fmt.Sprintf("test%d", d.n) }

type testRobot struct {
	mu     sync.Mutex
	drives []*testDrive
	blanks int
	out    int
	reject int
	// loadErr, when set, fails every load after taking a blank from the bin
	// (as a LOAD refused by the drive does: the blank is rejected).
	loadErr error
	// jam, when set, refuses every load before a blank is taken.
	jam   error
	loads int // LoadBlank calls
}

var errIllegalRequest = errors.New("READ DISC STRUCTURE: 05/24/00 invalid field in CDB")

func (r *testRobot) LoadBlank(_ context.Context, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads++
	if r.jam != nil {
		return r.jam
	}
	if r.blanks == 0 {
		// As the robot's client says it (robot.ErrInputEmpty): an empty
		// bin costs no blank, and holds the job rather than fail it.
		return fmt.Errorf("pick: %w", robot.ErrInputEmpty)
	}
	r.blanks--
	if r.loadErr != nil {
		r.reject++
		return r.loadErr
	}
	d := r.drives[n]
	d.mu.Lock()
	d.present, d.written = true, false
	d.id++
	d.mu.Unlock()
	return nil
}

func (r *testRobot) Unload(_ context.Context, n int, good bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.drives[n]
	d.mu.Lock()
	d.present = false
	d.mu.Unlock()
	if good {
		r.out++
	} else {
		r.reject++
	}
	return nil
}

type spend struct {
	job     string
	spoiled int
	made    bool
}

type testLedger struct {
	mu     sync.Mutex
	spends map[string]*spend // by token
	tx     int
}

func (l *testLedger) StationID() string { return "station-test" }

func (l *testLedger) Authorize(_ context.Context, r AuthRequest) (*Authorization, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.spends == nil {
		l.spends = map[string]*spend{}
	}
	s := l.spends[r.TokenID]
	if s != nil && s.job != r.JobID {
		return nil, &Refusal{Code: "token_spent", Message: "this token has already been used for a copy"}
	}
	if s == nil {
		l.tx++
		s = &spend{job: r.JobID}
		l.spends[r.TokenID] = s
	}
	dk := sha256.Sum256(append([]byte(r.JobID), r.MediaID...))
	return &Authorization{CopyID: "copy-" + r.JobID, Receipt: job.Receipt{Height: int64(l.tx), TxHash: "tx"},
		Keys: &keys.CopyKeys{BaseKey: make([]byte, 32), DiscKey: dk[:], Codeword: []byte{1}}}, nil
}

func (l *testLedger) Report(_ context.Context, o Outcome) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.spends {
		if s.job == o.JobID {
			if o.Made {
				s.made = true
			} else {
				s.spoiled++
			}
		}
	}
	return nil, nil
}

type testPipeline struct {
	failOnce map[string]bool
	mu       sync.Mutex
	block    chan struct{}
	// stopped records, for each copy stopped by its context, whether the
	// keys it was using were already wiped when it saw the stop.
	stopped []bool
}

func (p *testPipeline) Copy(ctx context.Context, d Drive, c CopyJob, progress func(Progress) error) ([]byte, error) {
	td := d.(*testDrive)
	for _, ph := range []Phase{PhaseWriting, PhaseVerifying, PhaseFinalising} {
		h := []byte(nil)
		if ph == PhaseFinalising {
			h = []byte("hash")
		}
		if err := progress(Progress{Phase: ph, Done: 0, Total: 100, DiscDigest: h}); err != nil {
			return nil, err
		}
		if ph == PhaseWriting {
			td.mu.Lock()
			td.written = true
			td.mu.Unlock()
			if p.block != nil {
				select {
				case <-p.block:
				case <-ctx.Done():
					wiped := true
					for _, b := range c.Keys.DiscKey {
						wiped = wiped && b == 0
					}
					p.mu.Lock()
					p.stopped = append(p.stopped, wiped)
					p.mu.Unlock()
					return nil, ctx.Err()
				}
			}
			p.mu.Lock()
			fail := p.failOnce[c.TitleID]
			delete(p.failOnce, c.TitleID)
			p.mu.Unlock()
			if fail {
				return nil, fmt.Errorf("write error at LBA 1234")
			}
		}
		progress(Progress{Phase: ph, Done: 100, Total: 100})
	}
	return []byte("hash"), nil
}

func (r *testRobot) counts() (blanks, out, reject int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.blanks, r.out, r.reject
}

func (l *testLedger) spent(token string) (tx int, s spend) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.spends[token]; p != nil {
		s = *p
	}
	return l.tx, s
}

package journal

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"copystation/stationd/job"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func stores(t *testing.T) map[string]func(Clock) Store {
	dir := t.TempDir()
	n := 0
	return map[string]func(Clock) Store{
		"mem": func(c Clock) Store { return NewMem(c) },
		"sqlite": func(c Clock) Store {
			n++
			s, err := OpenSQLite(filepath.Join(dir, "j"+string(rune('a'+n))+".db"), c)
			if err != nil {
				t.Fatalf("OpenSQLite = %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

func TestStoreConformance(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1700000000, 0)}
			s := open(clk.Now)
			if err := s.Create(ctx, job.Job{ID: "j1", TitleID: "t", TokenID: "tok", Attempt: 1}); err != nil {
				t.Fatalf("Create = %v", err)
			}
			if err := s.Create(ctx, job.Job{ID: "j1"}); !errors.Is(err, ErrExists) {
				t.Errorf("Create(dup) = %v, want %v", err, ErrExists)
			}
			steps := []struct {
				name     string
				from, to job.State
				want     error
			}{
				{"start", job.Queued, job.MediaCheck, nil},
				{"wrong from", job.Queued, job.MediaCheck, ErrConflict},
				{"illegal", job.MediaCheck, job.Writing, job.ErrIllegalTransition},
				{"authorise", job.MediaCheck, job.Authorising, nil},
			}
			for _, st := range steps {
				_, err := s.Transition(ctx, "j1", st.from, st.to, st.name, func(j *job.Job) { j.MediaID = []byte{1, 2} })
				if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
					t.Errorf("Transition(%s: %s -> %s) = %v, want %v", st.name, st.from, st.to, err, st.want)
				}
			}
			j, err := s.Get(ctx, "j1")
			if err != nil || j.State != job.Authorising || string(j.MediaID) != "\x01\x02" {
				t.Errorf("Get(j1) = %+v, %v, want authorising with media ID 0102", j, err)
			}
			if _, err := s.Update(ctx, "j1", func(j *job.Job) { j.Cancel = true; j.State = job.Done }); err != nil {
				t.Fatalf("Update = %v", err)
			}
			if j, _ := s.Get(ctx, "j1"); !j.Cancel || j.State != job.Authorising {
				t.Errorf("after Update: cancel %v state %s, want true authorising (Update never changes state)", j.Cancel, j.State)
			}
			ev, err := s.Events(ctx, "j1")
			if err != nil || len(ev) != 3 || ev[2].To != job.Authorising || ev[2].Note != "authorise" {
				t.Errorf("Events(j1) = %+v, %v, want 3 ending in authorising", ev, err)
			}
			if _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(nope) = %v, want %v", err, ErrNotFound)
			}
			s.Create(ctx, job.Job{ID: "j2"})
			l, _ := s.List(ctx)
			if len(l) != 2 || l[0].ID != "j1" || l[1].ID != "j2" {
				t.Errorf("List = %v, want j1, j2", l)
			}
			s.Create(ctx, job.Job{ID: "j3"})
			s.Transition(ctx, "j3", job.Queued, job.Failed, "cancelled", nil)
			a, _ := s.Active(ctx)
			if len(a) != 2 || a[0].ID != "j1" || a[1].ID != "j2" {
				t.Errorf("Active = %v, want j1, j2 (j3 failed)", a)
			}
			c, err := s.Counts(ctx)
			if err != nil || c[job.Authorising] != 1 || c[job.Queued] != 1 || c[job.Failed] != 1 || len(c) != 3 {
				t.Errorf("Counts = %v, %v, want authorising 1, queued 1, failed 1", c, err)
			}
		})
	}
}

// A journal reopened after Close (as after a crash) holds every transition
// that returned.
func TestSQLiteDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	s, err := OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Create(ctx, job.Job{ID: "j"})
	s.Transition(ctx, "j", job.Queued, job.MediaCheck, "", nil)
	s.Close()
	s, err = OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	j, err := s.Get(ctx, "j")
	if err != nil || j.State != job.MediaCheck {
		t.Errorf("Get after reopen = %s, %v, want media_check", j.State, err)
	}
}

func TestSQLiteRejectsGarbageFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(path, []byte("this is not a database, just some text that is long enough to matter ..................................................")); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenSQLite(path, nil); err == nil {
		s.Close()
		t.Errorf("OpenSQLite(garbage) = nil error, want one")
	}
}

// A record written before the disc digest's rename (as image_hash) keeps
// its digest, so a station upgraded between verify and report still reports.
func TestDecodeReadsImageHash(t *testing.T) {
	j, err := decode("j", []byte(`{"id":"j","state":"reporting","image_hash":"AQID"}`))
	if err != nil || string(j.DiscDigest) != "\x01\x02\x03" {
		t.Fatalf("decode(old record) = %x, %v, want digest 010203", j.DiscDigest, err)
	}
}

package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"copystation/stationd/job"

	"github.com/mattn/go-sqlite3" // also registers the database/sql driver "sqlite3"
)

// SQLite is the durable Store: one database file in WAL mode with
// synchronous=FULL, so a transaction that returned survives power loss.
type SQLite struct {
	db  *sql.DB
	now Clock
}

var _ Store = (*SQLite)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
	id      TEXT PRIMARY KEY,
	seq     INTEGER NOT NULL,
	state   TEXT NOT NULL,
	record  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	job     TEXT NOT NULL REFERENCES jobs(id),
	from_st TEXT NOT NULL,
	to_st   TEXT NOT NULL,
	at_ns   INTEGER NOT NULL,
	note    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events(job, seq);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, seq);
CREATE TABLE IF NOT EXISTS flags (
	name    TEXT PRIMARY KEY,
	value   INTEGER NOT NULL
);
`

// OpenSQLite opens (creating if needed) the journal at path. A nil clock
// means time.Now.
func OpenSQLite(path string, now Clock) (*SQLite, error) {
	if now == nil {
		now = time.Now
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "1")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("journal.OpenSQLite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal.OpenSQLite %s: create schema (is the file a journal, and writable?): %w", path, err)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("journal.OpenSQLite %s: journal_mode is %q, want wal (%v)", path, mode, err)
	}
	return &SQLite{db: db, now: now}, nil
}

// Create implements Store.
func (s *SQLite) Create(ctx context.Context, j job.Job) error {
	t := s.now()
	j.State, j.Created, j.Updated = job.Queued, t, t
	rec, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("journal.Create %s: %w", j.ID, err)
	}
	return s.tx(ctx, "journal.Create "+j.ID, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs(id, seq, state, record) VALUES(?, (SELECT COUNT(*) FROM jobs), ?, ?)`, j.ID, j.State, rec); err != nil {
			if isConstraint(err) {
				return ErrExists
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO events(job, from_st, to_st, at_ns, note) VALUES(?, '', ?, ?, '')`, j.ID, j.State, t.UnixNano())
		return err
	})
}

// Transition implements Store.
func (s *SQLite) Transition(ctx context.Context, id string, from, to job.State, note string, update func(*job.Job)) (job.Job, error) {
	var out job.Job
	op := fmt.Sprintf("journal.Transition %s (%s -> %s)", id, from, to)
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		j, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		t := s.now()
		n, err := apply(j, from, to, t, update)
		if err != nil {
			out = j
			return fmt.Errorf("job is %s: %w", j.State, err)
		}
		if err := store(ctx, tx, n); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO events(job, from_st, to_st, at_ns, note) VALUES(?, ?, ?, ?, ?)`, id, from, to, t.UnixNano(), note)
		out = n
		return err
	})
	return out, err
}

// Update implements Store.
func (s *SQLite) Update(ctx context.Context, id string, update func(*job.Job)) (job.Job, error) {
	var out job.Job
	err := s.tx(ctx, "journal.Update "+id, func(tx *sql.Tx) error {
		j, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		n := j
		update(&n)
		n.ID, n.State, n.Updated = j.ID, j.State, s.now()
		out = n
		return store(ctx, tx, n)
	})
	return out, err
}

// Get implements Store.
func (s *SQLite) Get(ctx context.Context, id string) (job.Job, error) {
	var rec []byte
	err := s.db.QueryRowContext(ctx, `SELECT record FROM jobs WHERE id = ?`, id).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return job.Job{}, fmt.Errorf("journal.Get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return job.Job{}, fmt.Errorf("journal.Get %s: %w", id, err)
	}
	return decode(id, rec)
}

// List implements Store.
func (s *SQLite) List(ctx context.Context) ([]job.Job, error) {
	return s.query(ctx, "journal.List", `SELECT id, record FROM jobs ORDER BY seq`)
}

// Active implements Store.
func (s *SQLite) Active(ctx context.Context) ([]job.Job, error) {
	return s.query(ctx, "journal.Active", `SELECT id, record FROM jobs WHERE state NOT IN (?, ?) ORDER BY seq`, job.Done, job.Failed)
}

// Counts implements Store.
func (s *SQLite) Counts(ctx context.Context) (map[job.State]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("journal.Counts: %w", err)
	}
	defer rows.Close()
	c := map[job.State]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("journal.Counts: %w", err)
		}
		c[job.State(st)] = n
	}
	return c, rows.Err()
}

func (s *SQLite) query(ctx context.Context, op, q string, args ...any) ([]job.Job, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []job.Job
	for rows.Next() {
		var id string
		var rec []byte
		if err := rows.Scan(&id, &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		j, err := decode(id, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Events implements Store.
func (s *SQLite) Events(ctx context.Context, id string) ([]job.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, from_st, to_st, at_ns, note FROM events WHERE job = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("journal.Events %s: %w", id, err)
	}
	defer rows.Close()
	var out []job.Event
	for rows.Next() {
		e := job.Event{JobID: id}
		var at int64
		var from, to string
		if err := rows.Scan(&e.Seq, &from, &to, &at, &e.Note); err != nil {
			return nil, fmt.Errorf("journal.Events %s: %w", id, err)
		}
		e.From, e.To, e.At = job.State(from), job.State(to), time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Flag implements Store.
func (s *SQLite) Flag(ctx context.Context, name string) (bool, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "SELECT value FROM flags WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("journal.Flag %s: %w", name, err)
	}
	return v != 0, nil
}

// SetFlag implements Store.
func (s *SQLite) SetFlag(ctx context.Context, name string, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return s.tx(ctx, "journal.SetFlag "+name, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO flags(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", name, v)
		return err
	})
}

// Close implements Store.
func (s *SQLite) Close() error { return s.db.Close() }

func (s *SQLite) tx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

func load(ctx context.Context, tx *sql.Tx, id string) (job.Job, error) {
	var rec []byte
	err := tx.QueryRowContext(ctx, `SELECT record FROM jobs WHERE id = ?`, id).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return job.Job{}, ErrNotFound
	}
	if err != nil {
		return job.Job{}, err
	}
	return decode(id, rec)
}

func store(ctx context.Context, tx *sql.Tx, j job.Job) error {
	rec, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE jobs SET state = ?, record = ? WHERE id = ?`, j.State, rec, j.ID)
	return err
}

func decode(id string, rec []byte) (job.Job, error) {
	var j job.Job
	if err := json.Unmarshal(rec, &j); err != nil {
		return job.Job{}, fmt.Errorf("journal: record of job %s is corrupt: %w", id, err)
	}
	if j.DiscDigest == nil {
		// Journals written before the field's rename call it image_hash.
		var old struct {
			ImageHash []byte `json:"image_hash"`
		}
		if json.Unmarshal(rec, &old) == nil {
			j.DiscDigest = old.ImageHash
		}
	}
	if !j.State.Valid() {
		return job.Job{}, fmt.Errorf("journal: record of job %s: %w: %q", id, job.ErrUnknownState, j.State)
	}
	return j, nil
}

func isConstraint(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint
}

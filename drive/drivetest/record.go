package drivetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"copystation/drive"
)

// Exchange is one command and what the device answered.
type Exchange struct {
	CDB         []byte          `json:"cdb"`
	Dir         drive.Direction `json:"dir"`
	Out         []byte          `json:"out,omitempty"`    // data-out bytes
	InLen       int             `json:"in_len,omitempty"` // data-in buffer size
	In          []byte          `json:"in,omitempty"`     // data-in bytes returned
	Status      drive.Status    `json:"status"`
	Sense       []byte          `json:"sense,omitempty"`
	Transferred int             `json:"transferred"`
	// Err is the transport error's text; ErrKind is "timeout",
	// "transport" or "" so that playback returns the same sentinel.
	Err     string `json:"err,omitempty"`
	ErrKind string `json:"err_kind,omitempty"`
}

// Record is a transport that passes every command to T and keeps a copy.
type Record struct {
	T  drive.Transport
	mu sync.Mutex
	ex []Exchange
}

var _ drive.TransportCloser = (*Record)(nil)

// Do runs the command on T and records it.
func (r *Record) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := Exchange{CDB: bytes.Clone(cdb), Dir: dir}
	switch dir {
	case drive.DirOut:
		e.Out = bytes.Clone(buf)
	case drive.DirIn:
		e.InLen = len(buf)
	}
	res, err := r.T.Do(cdb, dir, buf, timeout)
	e.Status, e.Sense, e.Transferred = res.Status, bytes.Clone(res.Sense), res.Transferred
	if dir == drive.DirIn && err == nil {
		e.In = bytes.Clone(buf[:min(max(res.Transferred, 0), len(buf))])
	}
	if err != nil {
		e.Err, e.ErrKind = err.Error(), "transport"
		if errors.Is(err, drive.ErrTimeout) {
			e.ErrKind = "timeout"
		}
	}
	r.ex = append(r.ex, e)
	return res, err
}

// Exchanges returns a copy of what was recorded so far.
func (r *Record) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.ex...)
}

// Close closes T if it is a closer.
func (r *Record) Close() error {
	if c, ok := r.T.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Errors of Playback and Load.
var (
	// ErrMismatch: a command differs from the one recorded next.
	ErrMismatch = errors.New("drivetest: command does not match the recording")
	// ErrExhausted: more commands than were recorded.
	ErrExhausted = errors.New("drivetest: no recorded exchange left")
	// ErrUnconsumed: Close found exchanges never replayed.
	ErrUnconsumed = errors.New("drivetest: recorded exchanges not replayed")
	// ErrBadRecording: a recording does not parse.
	ErrBadRecording = errors.New("drivetest: malformed recording")
)

// Playback answers commands from a recording, in order.
type Playback struct {
	// Ops are the exchanges to replay.
	Ops []Exchange
	// IgnoreOut skips comparing data-out bytes (when the data written is
	// not part of what the test checks).
	IgnoreOut bool
	mu        sync.Mutex
	count     int
}

var _ drive.TransportCloser = (*Playback)(nil)

// Do checks the command against the next recorded exchange and answers
// as recorded.
func (p *Playback) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count >= len(p.Ops) {
		return drive.Result{}, fmt.Errorf("drivetest: command %d (%x): %w (%d recorded)", p.count, cdb, ErrExhausted, len(p.Ops))
	}
	e := p.Ops[p.count]
	if err := e.match(p.count, cdb, dir, buf, p.IgnoreOut); err != nil {
		return drive.Result{}, err
	}
	p.count++
	res := drive.Result{Status: e.Status, Sense: bytes.Clone(e.Sense), Transferred: e.Transferred}
	if dir == drive.DirIn {
		copy(buf, e.In)
	}
	switch e.ErrKind {
	case "":
		return res, nil
	case "timeout":
		return res, fmt.Errorf("drivetest: replayed: %s: %w", e.Err, drive.ErrTimeout)
	}
	return res, fmt.Errorf("drivetest: replayed: %s: %w", e.Err, drive.ErrTransport)
}

func (e *Exchange) match(i int, cdb []byte, dir drive.Direction, buf []byte, ignoreOut bool) error {
	switch {
	case !bytes.Equal(cdb, e.CDB):
		return fmt.Errorf("drivetest: command %d: CDB %x, recorded %x: %w", i, cdb, e.CDB, ErrMismatch)
	case dir != e.Dir:
		return fmt.Errorf("drivetest: command %d (%x): direction %d, recorded %d: %w", i, cdb, dir, e.Dir, ErrMismatch)
	case dir == drive.DirIn && len(buf) != e.InLen:
		return fmt.Errorf("drivetest: command %d (%x): %d-byte buffer, recorded %d: %w", i, cdb, len(buf), e.InLen, ErrMismatch)
	case dir == drive.DirOut && !ignoreOut && !bytes.Equal(buf, e.Out):
		return fmt.Errorf("drivetest: command %d (%x): data-out differs from the recording: %w", i, cdb, ErrMismatch)
	}
	return nil
}

// Close reports exchanges that were recorded but never replayed.
func (p *Playback) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count != len(p.Ops) {
		return fmt.Errorf("drivetest: %d of %d exchanges replayed, next %x: %w", p.count, len(p.Ops), p.Ops[p.count].CDB, ErrUnconsumed)
	}
	return nil
}

// maxRecording bounds what Load reads.
const maxRecording = 256 << 20

// Save writes exchanges as JSON.
func Save(w io.Writer, ex []Exchange) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(ex)
}

// Load reads exchanges written by Save.
func Load(r io.Reader) ([]Exchange, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxRecording+1))
	if err != nil {
		return nil, fmt.Errorf("drivetest.Load: %w", err)
	}
	if len(b) > maxRecording {
		return nil, fmt.Errorf("drivetest.Load: recording over %d bytes: %w", maxRecording, ErrBadRecording)
	}
	var ex []Exchange
	if err := json.Unmarshal(b, &ex); err != nil {
		return nil, fmt.Errorf("drivetest.Load: %w: %w", ErrBadRecording, err)
	}
	for i, e := range ex {
		if len(e.CDB) == 0 || len(e.CDB) > 16 || e.Dir > drive.DirOut || len(e.In) > e.InLen {
			return nil, fmt.Errorf("drivetest.Load: exchange %d: CDB of %d bytes, direction %d, %d of %d data-in bytes: %w",
				i, len(e.CDB), e.Dir, len(e.In), e.InLen, ErrBadRecording)
		}
	}
	return ex, nil
}

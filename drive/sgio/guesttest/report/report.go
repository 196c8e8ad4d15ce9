// Package report carries the SG_IO test guest's observations to the host
// test: one JSON object per line on the guest's second serial port.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits on what Decode accepts: the guest is outside the host test's
// process, and a runaway guest must not exhaust its memory.
const (
	MaxLine    = 16 << 10
	MaxRecords = 4096
)

// Step names with a fixed meaning for the host.
const (
	StepBoot = "boot" // first record: the guest program started
	StepDone = "done" // last record: the guest finished every step
)

// Errors returned by Decode.
var (
	ErrLineTooLong = errors.New("report: line too long")
	ErrTooMany     = errors.New("report: too many records")
	ErrBadRecord   = errors.New("report: malformed record")
)

// Record is one observation: a step run against one device node.
type Record struct {
	// Device is the node the step used ("/dev/sg0"), empty for guest-wide steps.
	Device string `json:"device,omitempty"`
	// Step names what was done ("identify", "read10").
	Step string `json:"step"`
	// Err is the error text, empty when the step succeeded.
	Err string `json:"err,omitempty"`
	// Is lists the drive package's sentinel errors that Err matches with errors.Is.
	Is []string `json:"is,omitempty"`
	// Fields holds what the step observed, as strings for the host to compare.
	Fields map[string]string `json:"fields,omitempty"`
	// Millis is how long the step took.
	Millis int64 `json:"ms"`
}

// OK reports whether the step succeeded.
func (r Record) OK() bool { return r.Err == "" }

// Matches reports whether the step's error matched the named sentinel.
func (r Record) Matches(sentinel string) bool {
	for _, s := range r.Is {
		if s == sentinel {
			return true
		}
	}
	return false
}

// Writer writes records as JSON lines.
type Writer struct {
	w io.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes one record as one line, in a single Write call so that a
// record is never split by other output on the same line.
func (w *Writer) Write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("report.Write: %w", err)
	}
	if len(b)+1 > MaxLine {
		return fmt.Errorf("report.Write %s: %w (%d bytes)", r.Step, ErrLineTooLong, len(b))
	}
	if _, err := w.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("report.Write %s: %w", r.Step, err)
	}
	return nil
}

// Decode reads every record from r. Blank lines, carriage returns (a tty may
// add them) and NUL bytes (what a serial port can read before the guest
// writes) are ignored; anything else that is not a record is an error naming
// its line.
func Decode(r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	var out []Record
	line := 0
	for sc.Scan() {
		line++
		b := bytes.Trim(sc.Bytes(), "\r\x00 \t")
		if len(b) == 0 {
			continue
		}
		if len(out) == MaxRecords {
			return out, fmt.Errorf("report.Decode: %w (more than %d)", ErrTooMany, MaxRecords)
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return out, fmt.Errorf("report.Decode line %d: %w: %v", line, ErrBadRecord, err)
		}
		if rec.Step == "" {
			return out, fmt.Errorf("report.Decode line %d: %w: no step", line, ErrBadRecord)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = ErrLineTooLong
		}
		return out, fmt.Errorf("report.Decode line %d: %w", line+1, err)
	}
	return out, nil
}

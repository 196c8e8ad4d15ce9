package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"copystation/drive"
)

// attentionLog is a slog.Handler that keeps the sense of every unit
// attention a Drive absorbed (its "unit attention absorbed" records), so a
// step can report which ones it met and the host can assert that the
// absorbing path was taken through the real SCSI stack.
type attentionLog struct {
	mu     sync.Mutex
	senses []string // "6/28/00", in order
}

func (a *attentionLog) Enabled(context.Context, slog.Level) bool { return true }
func (a *attentionLog) WithAttrs([]slog.Attr) slog.Handler       { return a }
func (a *attentionLog) WithGroup(string) slog.Handler            { return a }

func (a *attentionLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "drive: unit attention absorbed" {
		return nil
	}
	sense := "?"
	r.Attrs(func(at slog.Attr) bool {
		var se *drive.SenseError
		if err, ok := at.Value.Any().(error); ok && errors.As(err, &se) {
			sense = fmt.Sprintf("%X/%02X/%02X", uint8(se.Key), se.ASC, se.ASCQ)
			return false
		}
		return true
	})
	a.mu.Lock()
	a.senses = append(a.senses, sense)
	a.mu.Unlock()
	return nil
}

// mark is where the next step's attentions start.
func (a *attentionLog) mark() int {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.senses)
}

// since lists, comma-separated, the attentions absorbed after mark m.
func (a *attentionLog) since(m int) string {
	if a == nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.senses[m:], ",")
}

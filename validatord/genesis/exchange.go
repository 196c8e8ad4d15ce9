package genesis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"copystation/atomicfile"
)

// maxBundleSize bounds a bundle file read from the exchange: a deal for
// custody.MaxNodes nodes is about 40 KiB; anything far larger is not one.
const maxBundleSize = 1 << 20

// Phases of the exchange, in order; each node writes DIR/<phase>-<i>.bin.
// A response or justification file is empty when the node has nothing to
// say (no complaint, nothing to justify): the empty file is the marker
// that it has finished the phase.
const (
	phaseDeal          = "deal"
	phaseResponse      = "response"
	phaseJustification = "justification"
)

// exchange is the directory every node of one ceremony reads and writes.
// It must act as a broadcast: every node reads the same files, which
// atomic writes (temp file, rename) and never rewriting a file give.
type exchange struct {
	dir  string
	n    int
	self int
	poll time.Duration
	// reshare: the directory is a resharing session's, not the genesis
	// ceremony's; only the messages to the operator differ.
	reshare bool
}

// advice is the messages' wording for the kind of session: the command the
// operators run, the file they share, and how to go on without a node.
func (x *exchange) advice() (cmd, file, without string) {
	if x.reshare {
		return "validatord reshare run", "resharing session file",
			"every old node must deal, so bring them back; a missing new node can be left out of a new session file"
	}
	return "validatord dkg run", "ceremony file", "assemble a new ceremony without their descriptors"
}

// maxAbortSize bounds the reason read from another node's abort file.
const maxAbortSize = 1024

// abortPath is where a node that fails mid-ceremony says why, so the
// others stop at once instead of waiting for its files until the deadline.
func (x *exchange) abortPath(i int) string {
	return filepath.Join(x.dir, fmt.Sprintf("abort-%d.txt", i))
}

// abort publishes this node's reason for leaving the ceremony. Best effort:
// the others time out anyway if it can't be written.
func (x *exchange) abort(cause error) {
	msg := []byte(cause.Error())
	if len(msg) > maxAbortSize {
		msg = msg[:maxAbortSize]
	}
	if atomicfile.Write(x.abortPath(x.self), msg) == nil {
		os.Chmod(x.abortPath(x.self), 0o644)
	}
}

// aborted returns ErrPeerAborted naming the first other node that has
// left the ceremony, or nil.
func (x *exchange) aborted() error {
	for i := range x.n {
		if i == x.self {
			continue
		}
		b, err := ReadBounded(x.abortPath(i), maxBundleSize)
		if err != nil {
			continue // absent (or unreadable: its files will time out)
		}
		if len(b) > maxAbortSize {
			b = b[:maxAbortSize]
		}
		reason := strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, string(b))
		_, file, _ := x.advice()
		return fmt.Errorf("%w: node %d: %q; fix its cause, assemble a new %s and use an empty exchange directory", ErrPeerAborted, i, reason, file)
	}
	return nil
}

func (x *exchange) path(phase string, i int) string {
	return filepath.Join(x.dir, fmt.Sprintf("%s-%d.bin", phase, i))
}

// checkFresh refuses an exchange that already holds this node's deal: the
// DKG's state can't be resumed, so a rerun needs a new ceremony (a new
// nonce) and an empty directory.
func (x *exchange) checkFresh() error {
	st, err := os.Stat(x.dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory: %v", ErrExchange, x.dir, err)
	}
	if _, err := os.Stat(x.path(phaseDeal, x.self)); err == nil {
		_, file, _ := x.advice()
		return fmt.Errorf("%w: %s already holds this node's deal from an earlier run; a DKG can't resume: assemble a new %s and use an empty directory", ErrExchange, x.dir, file)
	}
	return nil
}

// publish writes this node's file for a phase.
func (x *exchange) publish(phase string, b []byte) error {
	if err := atomicfile.Write(x.path(phase, x.self), b); err != nil {
		return fmt.Errorf("%w: %v", ErrExchange, err)
	}
	// atomicfile writes 0600; the other operators must read it.
	return os.Chmod(x.path(phase, x.self), 0o644)
}

// collect waits until every node's file for the phase is there and returns
// the non-empty ones in node order. At the deadline it fails naming the
// nodes whose files are missing: going on without them would need every
// node to agree on who is missing, which a shared folder can't promise.
func (x *exchange) collect(ctx context.Context, phase string) ([][]byte, error) {
	got, err := x.collectEach(ctx, phase)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, b := range got {
		if len(b) > 0 {
			out = append(out, b)
		}
	}
	return out, nil
}

// collectEach is collect keeping every node's file at its index, empty
// ones included, for a phase whose files say who wrote them by place.
func (x *exchange) collectEach(ctx context.Context, phase string) ([][]byte, error) {
	got := make([][]byte, x.n)
	have := make([]bool, x.n)
	t := time.NewTicker(x.poll)
	defer t.Stop()
	for {
		if err := x.aborted(); err != nil {
			return nil, err
		}
		var missing []string
		for i := range x.n {
			if have[i] {
				continue
			}
			b, err := ReadBounded(x.path(phase, i), maxBundleSize)
			switch {
			case err == nil:
				got[i], have[i] = b, true
			case errors.Is(err, fs.ErrNotExist):
				missing = append(missing, fmt.Sprint(i))
			default:
				return nil, fmt.Errorf("%w: %v", ErrExchange, err)
			}
		}
		if len(missing) == 0 {
			return got, nil
		}
		select {
		case <-ctx.Done():
			cmd, file, without := x.advice()
			return nil, fmt.Errorf("%w: no %s file from node(s) %s in %s (%v): check those operators are running '%s' on the same %s and directory; to go on without them, %s",
				ErrTimeout, phase, strings.Join(missing, ", "), x.dir, context.Cause(ctx), cmd, file, without)
		case <-t.C:
		}
	}
}

// ReadBounded reads the file at path if it holds at most limit bytes,
// reading exactly the size it checked (a file growing meanwhile is cut).
func ReadBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, limit %d", path, st.Size(), limit)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return b, nil
}

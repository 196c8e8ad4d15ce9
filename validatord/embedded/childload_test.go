package embedded

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"copystation/validatord/chain"
	"copystation/validatord/ledger"
)

// childServe runs a child node's commands from its parent, one a line,
// until the parent closes the pipe:
//
//	load PATH START_NS INTERVAL_NS NODES INDEX
//
// spends the transactions in the file PATH (each a 4-byte big-endian
// length and the bytes) through this node's ledger.Local, as the gateway
// does: the file's j-th is spend i = j*NODES+INDEX of the run, due at
// START_NS + i*INTERVAL_NS (Unix nanoseconds), each in its own goroutine.
// The results go to PATH.out (see loadResult), written whole and renamed
// into place when the last spend has its answer.
func childServe(n *chain.Node, in io.Reader) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var path string
		var start, interval int64
		var nodes, index int
		if _, err := fmt.Sscanf(sc.Text(), "load %s %d %d %d %d", &path, &start, &interval, &nodes, &index); err != nil {
			fmt.Fprintf(os.Stderr, "child: command %.60q: %v\n", sc.Text(), err)
			continue
		}
		if err := childLoad(n, path, time.Unix(0, start), time.Duration(interval), nodes, index); err != nil {
			fmt.Fprintln(os.Stderr, "child: load:", err)
		}
	}
}

// Outcomes of a spend in a load's results.
const (
	loadOK      = 0
	loadRefused = 1 // ledger.ErrUnavailable: the mempool is full
	loadFailed  = 2
)

// loadRecord is one spend's result in PATH.out: its latency from its due
// time in nanoseconds (8 bytes, big-endian) and its outcome (1 byte).
const loadRecord = 9

func childLoad(n *chain.Node, path string, start time.Time, interval time.Duration, nodes, index int) error {
	txs, err := readTxs(path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := ledger.NewLocal(n)
	out := make([]byte, loadRecord*len(txs))
	var failed sync.Once
	// This child's share of the spends: every nodes-th from index.
	due := func(j int) time.Time { return start.Add(time.Duration(j*nodes+index) * interval) }
	openLoop(len(txs), due, func(j int, due time.Time) {
		_, err := l.Submit(ctx, "spend", txs[j])
		rec := out[j*loadRecord : (j+1)*loadRecord]
		binary.BigEndian.PutUint64(rec, uint64(time.Since(due)))
		switch {
		case errors.Is(err, ledger.ErrUnavailable):
			rec[8] = loadRefused
		case err != nil:
			rec[8] = loadFailed
			failed.Do(func() { fmt.Fprintf(os.Stderr, "child: spend %d: %v\n", j*nodes+index, err) })
		}
	})
	if err := os.WriteFile(path+".tmp", out, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path+".out")
}

// writeTxs and readTxs store transactions for childLoad.
func writeTxs(path string, txs [][]byte) error {
	var b []byte
	for _, tx := range txs {
		b = binary.BigEndian.AppendUint32(b, uint32(len(tx)))
		b = append(b, tx...)
	}
	return os.WriteFile(path, b, 0o600)
}

func readTxs(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var txs [][]byte
	for len(b) > 0 {
		if len(b) < 4 || uint64(len(b)-4) < uint64(binary.BigEndian.Uint32(b)) {
			return nil, fmt.Errorf("transactions file %s: cut short after %d", path, len(txs))
		}
		n := binary.BigEndian.Uint32(b)
		txs = append(txs, b[4:4+n])
		b = b[4+n:]
	}
	return txs, nil
}

func TestTxsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "txs")
	want := [][]byte{[]byte("a"), {}, []byte("spend")}
	if err := writeTxs(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readTxs(path)
	if err != nil || len(got) != len(want) {
		t.Fatalf("readTxs(writeTxs(%q)) = %q, %v", want, got, err)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("readTxs(writeTxs(%q)) = %q", want, got)
		}
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-1], 0o600)
	if _, err := readTxs(path); err == nil {
		t.Fatalf("readTxs(a file cut short) = nil error, want one")
	}
}

package validatord

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"copystation/atomicfile"
	"copystation/validatord/genesis"
)

// The multi-operator sessions (the genesis ceremony, a resharing) share
// their command-line shape: a coordinator assembles a public file from
// the nodes' descriptors; each operator then runs its node's side against
// it through a shared exchange directory. These helpers are that shape,
// once.

// exchangeRun is the flags of a node's side of a session (dkg run,
// reshare run): its home (and KEK), the session's public file, the
// exchange directory and how long to wait for the other parties.
type exchangeRun struct {
	file    *string
	dir     *string
	timeout *time.Duration
	kek     []byte
}

// exchangeFlags declares them; file and dir name the flags (each command
// keeps its documented names). home: e.homeFlags; node: e.nodeFlags too.
func (e *env) exchangeFlags(node bool, file, fileHelp, dir string) *exchangeRun {
	if node {
		e.nodeFlags()
	} else {
		e.homeFlags()
	}
	return &exchangeRun{
		file:    e.fs.String(file, "", fileHelp),
		dir:     e.fs.String(dir, "", "the exchange directory every node's operator reads and writes"),
		timeout: e.fs.Duration("timeout", 10*time.Minute, "give up when the other nodes' files are not all there by then"),
	}
}

// parse parses args, requiring the home, the file and the directory, and
// reads the KEK.
func (x *exchangeRun) parse(e *env, args []string, file, dir string) error {
	if err := e.parse(args, "home", file, dir); err != nil {
		return err
	}
	k, err := e.kek()
	x.kek = k
	return err
}

// parseWithArgs parses flags followed by positional arguments (the
// assemble commands' descriptor files).
func (e *env) parseWithArgs(args []string) error {
	if err := e.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// readDescriptors reads and checks the signed node descriptors an
// assemble command is given, in order.
func readDescriptors(files []string) ([]*genesis.SignedDescriptor, error) {
	var descs []*genesis.SignedDescriptor
	for _, f := range files {
		p, err := genesis.ReadBounded(f, genesis.MaxDescriptorSize)
		if err != nil {
			return nil, err
		}
		d, err := genesis.DecodeDescriptor(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		descs = append(descs, d)
	}
	return descs, nil
}

// writePublic writes an assembled session file atomically, readable by
// every operator (it holds no secret).
func writePublic(path string, b []byte) error {
	if err := atomicfile.Write(path, b); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// readReshareSession reads a resharing session file (reshare assemble).
func readReshareSession(path string) (*genesis.ReshareSession, error) {
	p, err := genesis.ReadBounded(path, genesis.MaxReshareSize)
	if err != nil {
		return nil, err
	}
	return genesis.DecodeReshare(p)
}

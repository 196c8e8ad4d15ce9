package validatord

import (
	"encoding/hex"
	"fmt"

	"copystation/validatord/genesis"
)

// Resharing the custody between operators (docs/key-custody.md, "Running
// a session"): reshare assemble writes the session file every operator's
// node runs against.

func cmdReshareAssemble(e *env, args []string) error {
	chainID := e.fs.String("chain-id", "", "the network's chain ID")
	epoch := e.fs.Uint("epoch", 0, "the epoch this session makes: the epoch in force plus one")
	threshold := e.fs.Int("threshold", 0, "t of the new custody set (default f+1 of n = 3f+1)")
	out := e.fs.String("out", "", "session file to write")
	e.fs.Usage = func() {
		fmt.Fprintf(e.fs.Output(), "usage: validatord reshare assemble [flags] DESCRIPTOR...\n\nThe new custody set's descriptors in its order (it fixes the new Shamir indices).\nThe old set is read from the ledger by each node, not given here.\n\nflags:\n")
		e.fs.PrintDefaults()
	}
	if err := e.parseWithArgs(args); err != nil {
		return err
	}
	switch {
	case *chainID == "" || *out == "":
		return usagef("--chain-id and --out are required")
	case *epoch == 0 || *epoch > 1<<32-1:
		return usagef("--epoch is required: the epoch in force plus one (1 after the genesis ceremony)")
	case e.fs.NArg() == 0:
		return usagef("give the new custody set's node descriptor files, in its order")
	}
	descs, err := readDescriptors(e.fs.Args())
	if err != nil {
		return err
	}
	s, err := genesis.AssembleReshare(genesis.ReshareOptions{ChainID: *chainID, Epoch: uint32(*epoch), Threshold: *threshold}, descs)
	if err != nil {
		return err
	}
	b, err := s.Encode()
	if err != nil {
		return err
	}
	if err := writePublic(*out, b); err != nil {
		return err
	}
	e.print(map[string]any{"session": *out, "epoch": s.Epoch, "nodes": len(s.Nodes), "threshold": s.Threshold, "nonce": hex.EncodeToString(s.Nonce)},
		fmt.Sprintf("wrote the resharing session %s: chain %s, epoch %d, %d new nodes, threshold %d", *out, s.ChainID, s.Epoch, len(s.Nodes), s.Threshold))
	return nil
}

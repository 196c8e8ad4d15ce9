package validatord

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"copystation/atomicfile"
	"copystation/protocol"
	"copystation/validatord/genesis"
)

// The multi-operator genesis ceremony (docs/operators.md): descriptor,
// genesis assemble, dkg run.

func cmdDescriptor(e *env, args []string) error {
	e.homeFlags()
	out := e.fs.String("out", "", "write the descriptor file here (default: stdout)")
	if err := e.parse(args, "home"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	sd, err := genesis.Describe(e.home, kek)
	if err != nil {
		return err
	}
	b, err := jsonIndent(sd)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = e.stdout.Write(b)
		return err
	}
	if err := atomicfile.Write(*out, b); err != nil {
		return err
	}
	d := &sd.Descriptor
	e.print(map[string]string{"descriptor": *out, "moniker": d.Moniker, "node_id": protocol.KeyID(d.SignerKey)},
		fmt.Sprintf("wrote the descriptor of %s (node %s) to %s", d.Moniker, protocol.KeyID(d.SignerKey), *out))
	return nil
}

// multiFlag is a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdGenesisAssemble(e *env, args []string) error {
	chainID := e.fs.String("chain-id", "", "network name")
	threshold := e.fs.Int("threshold", 0, "t of the custody group (default f+1 of n = 3f+1)")
	out := e.fs.String("out", "", "ceremony file to write")
	gtime := e.fs.String("genesis-time", "", "genesis time, RFC 3339 (default now)")
	e.fs.Usage = func() {
		fmt.Fprintf(e.fs.Output(), "usage: validatord genesis assemble [flags] DESCRIPTOR...\n\nThe descriptors in genesis order (it fixes validator, DKG and Shamir indices).\n\nflags:\n")
		e.fs.PrintDefaults()
	}
	var opKeys multiFlag
	e.fs.Var(&opKeys, "operator-key", "file holding an operator's public key in hex, as 'validatord key new' prints it (repeat per operator)")
	if err := e.parseWithArgs(args); err != nil {
		return err
	}
	switch {
	case *chainID == "" || *out == "":
		return usagef("--chain-id and --out are required")
	case len(opKeys) == 0:
		return usagef("at least one --operator-key is required")
	case e.fs.NArg() == 0:
		return usagef("give the node descriptor files, in genesis order")
	}
	o := genesis.AssembleOptions{ChainID: *chainID, Threshold: *threshold}
	if *gtime != "" {
		t, err := time.Parse(time.RFC3339, *gtime)
		if err != nil {
			return usagef("--genesis-time %q: want RFC 3339, e.g. 2026-12-04T17:00:00Z", *gtime)
		}
		o.GenesisTime = t
	}
	for _, f := range opKeys {
		p, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("operator key: %w", err)
		}
		k, err := hex.DecodeString(strings.TrimSpace(string(p)))
		if err != nil || len(k) != 65 {
			return usagef("operator key %s: want 130 hex digits (the public key 'validatord key new' prints)", f)
		}
		o.Operators = append(o.Operators, k)
	}
	descs, err := readDescriptors(e.fs.Args())
	if err != nil {
		return err
	}
	c, err := genesis.Assemble(o, descs)
	if err != nil {
		return err
	}
	b, err := c.Encode()
	if err != nil {
		return err
	}
	if err := writePublic(*out, b); err != nil {
		return err
	}
	e.print(map[string]any{"ceremony": *out, "nodes": len(c.Nodes), "threshold": c.Threshold, "nonce": hex.EncodeToString(c.Nonce)},
		fmt.Sprintf("wrote the ceremony file %s: chain %s, %d nodes, threshold %d, genesis time %s",
			*out, c.ChainID, len(c.Nodes), c.Threshold, c.GenesisTime.Format(time.RFC3339)))
	return nil
}

func cmdDKGRun(e *env, args []string) error {
	x := e.exchangeFlags(false, "ceremony", "the ceremony file from 'genesis assemble'", "exchange")
	if err := x.parse(e, args, "ceremony", "exchange"); err != nil {
		return err
	}
	p, err := genesis.ReadBounded(*x.file, genesis.MaxCeremonySize)
	if err != nil {
		return err
	}
	c, err := genesis.DecodeCeremony(p)
	if err != nil {
		return err
	}
	res, err := genesis.RunDKG(e.ctx, genesis.DKGOptions{Home: e.home, KEK: x.kek, Ceremony: c, Exchange: *x.dir, Timeout: *x.timeout})
	if err != nil {
		return err
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(e.stderr, "warning: dropped an exchange file: %s\n", r)
	}
	e.print(map[string]any{"node": res.Node, "group_key": hex.EncodeToString(res.GroupKey), "rejected": res.Rejected},
		fmt.Sprintf("node %d of %d: share sealed in the vault, genesis and peers written to %s\n  group key %x\n  (every operator must see the same group key)",
			res.Node, len(c.Nodes), e.home, res.GroupKey))
	return nil
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

//go:build !nonode

package disccli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"copystation/burn/disc"
	"copystation/drive"
	"copystation/validatord/ledger"
)

const verifyUsage = `usage: stationd disc verify --device URI --node URL --genesis FILE [--start LBA] [--json]

Reads the copy's header from the disc in the drive, finds its copy record
on the ledger through the node at URL (CometBFT RPC), and checks the
record's inclusion proof against a header signed by the validators of the
genesis FILE (a light-client check: the node is not trusted), then the
disc's header against the record: title, package root, profile, media ID.
Exit status 0: verified; 1: altered header, a record the validators did
not commit (a forked or lying node), or unreachable; 2: usage.
`

// runVerify is `stationd disc verify`.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer, open Opener) int {
	fs := flag.NewFlagSet("disc verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "drive URI")
	node := fs.String("node", "", "a validation node's RPC address, tcp://HOST:PORT")
	gen := fs.String("genesis", "", "the network's genesis file, trusted")
	start := fs.Uint("start", 0, "LBA of the copy's header")
	asJSON := fs.Bool("json", false, "print the verified record as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *device == "" || *node == "" || *gen == "" || fs.NArg() != 0 || *start > 1<<32-1 {
		fmt.Fprint(stderr, verifyUsage)
		return 2
	}
	v, err := verify(ctx, open, *device, *node, *gen, uint32(*start))
	if err != nil {
		fmt.Fprintf(stderr, "disc verify: %v\n", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(v)
	} else {
		fmt.Fprintln(stdout, v.String())
	}
	return 0
}

func verify(ctx context.Context, open Opener, device, node, gen string, start uint32) (*ledger.VerifiedCopy, error) {
	tr, err := ledger.TrustGenesis(gen)
	if err != nil {
		return nil, err
	}
	t, err := open(device)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", device, err)
	}
	defer t.Close()
	d := drive.New(t)
	if err := d.WaitReady(ctx); err != nil {
		return nil, err
	}
	sec := make([]byte, disc.SectorSize)
	if err := d.Read(ctx, start, sec); err != nil {
		return nil, fmt.Errorf("reading the header at LBA %d: %w", start, err)
	}
	h, err := disc.Parse(sec)
	if err != nil {
		return nil, explain(err)
	}
	r, err := ledger.Dial(node)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return r.VerifyCopy(ctx, tr, h)
}

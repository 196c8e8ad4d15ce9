package validatord

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"copystation/burn/disc"
	"copystation/validatord/chain"
	"copystation/validatord/ledger"
)

// cmdCopiesVerify reads a copy's header from a disc image file and checks
// it against the copy's record, proved with a light-client check against
// the validators of the genesis the verifier trusts.
func cmdCopiesVerify(e *env, args []string) error {
	e.nodeFlags()
	image := e.fs.String("image", "", "a copy's disc image, from its header sector on")
	gen := e.fs.String("genesis", "", "the network's genesis file to trust (default: the home's)")
	if err := e.parse(args, "image"); err != nil {
		return err
	}
	if *gen == "" {
		if e.home == "" {
			return usagef("give --genesis FILE (or --home, whose genesis is trusted)")
		}
		*gen = filepath.Join(e.home, chain.FileGenesis)
	}
	tr, err := ledger.TrustGenesis(*gen)
	if err != nil {
		return err
	}
	h, err := readHeader(*image)
	if err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	v, err := b.VerifyCopy(ctx, tr, h)
	if err != nil {
		return err
	}
	e.print(v, v.String())
	return nil
}

func readHeader(path string) (*disc.Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sector := make([]byte, disc.SectorSize)
	if _, err := io.ReadFull(f, sector); err != nil {
		return nil, fmt.Errorf("%w: %s has no header sector: %v", ledger.ErrDiscMismatch, path, err)
	}
	return disc.Parse(sector)
}

// Package ledgertest registers titles on a test network the way an issuer
// does in production: dealt to the genesis custody nodes, packaged under
// the dealt keys and registered with the deal (ledger.Admin.PackageTitle),
// and enrolls stations with software keys.
package ledgertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// BDR is a finalised single-layer BD-R, the format titles allow unless told.
var BDR = keys.FormatMetadata{Profile: 0x41, Layers: 1, Finalize: true, HeaderSectors: 32}

// Title is a registered title's package: what a station holds.
type Title struct {
	Manifest *titlepkg.Manifest
	Path     string // the package file
}

// DealTitle packages a title of random content with segments one-sector
// forensic segments into dir, dealt to the network's custody nodes, and
// registers it through the issuer a with formats (BDR if none). The
// manifest goes in ledgerclient.CopyRequestParams.Manifest, so a station's
// round 2 combines the nodes' share releases against its roots.
func DealTitle(ctx context.Context, a *ledger.Admin, dir, id string, segments int, formats ...keys.FormatMetadata) (*Title, error) {
	if segments < 1 {
		return nil, fmt.Errorf("ledgertest.DealTitle: %d segments: a dealt title needs at least one", segments)
	}
	if len(formats) == 0 {
		formats = []keys.FormatMetadata{BDR}
	}
	// Segment i is sector 2+2i, so the base image shows between variants.
	img := make([]byte, (2*segments+2)*titlepkg.SectorSize)
	rand.Read(img)
	spec := titlepkg.Spec{Image: bytes.NewReader(img), ImageSize: int64(len(img)), ChunkSize: titlepkg.MinChunkSize, Rand: rand.Reader}
	for s := range segments {
		b := make([]byte, titlepkg.SectorSize)
		rand.Read(b)
		spec.Variants = append(spec.Variants, titlepkg.Variant{Start: uint64(2 + 2*s), B: b})
	}
	m, err := a.PackageTitle(ctx, dir, contract.Title{ID: id, Name: id, Formats: formats}, spec)
	if err != nil {
		return nil, fmt.Errorf("ledgertest.DealTitle: %w", err)
	}
	return &Title{Manifest: m, Path: filepath.Join(dir, titlepkg.FileName(id))}, nil
}

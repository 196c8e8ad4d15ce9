package drivecli

import (
	"context"
	"fmt"
	"io"

	"copystation/drive"
)

// format formats the BD-RE in d (blank or not) and reports the capacity.
func format(ctx context.Context, d *drive.Drive, o drive.FormatOptions, w io.Writer) error {
	if err := d.FormatWith(ctx, o); err != nil {
		return err
	}
	return reportFormatted(ctx, d, "formatted", w)
}

// blank quick-reformats the formatted BD-RE in d.
func blank(ctx context.Context, d *drive.Drive, w io.Writer) error {
	if err := d.Blank(ctx); err != nil {
		return err
	}
	return reportFormatted(ctx, d, "blanked", w)
}

func reportFormatted(ctx context.Context, d *drive.Drive, what string, w io.Writer) error {
	mi, err := d.MediaInfo(ctx)
	if err != nil {
		return fmt.Errorf("%s, but reading the disc back failed: %w", what, err)
	}
	fmt.Fprintf(w, "%s the BD-RE: %d sectors of 2048 bytes (%d bytes), nothing on it\n",
		what, mi.CapacitySectors, uint64(mi.CapacitySectors)*drive.SectorSize)
	return nil
}

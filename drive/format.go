package drive

import (
	"context"
	"fmt"
)

// FormatSubtypeQuickReformat is format subtype 00b of a BD-RE format
// descriptor (MMC-6 6.5.4.2, format types 00h/30h): re-format a formatted
// disc without certifying it again. The drive drops the old contents and
// keeps the capacity; it takes seconds, not the hour of a certification.
const FormatSubtypeQuickReformat = 0x0

// FormatOptions choose the format `drive format` asks for.
type FormatOptions struct {
	// NoSpare asks for format type 31h: the whole disc as user data and no
	// spare areas, so no defect management. The default keeps the drive's
	// default spare areas (type 30h, or 00h).
	NoSpare bool
}

// Format formats a BD-RE with the drive's default spare areas (format type
// 30h, or 00h), at the capacity the drive offers for it. Everything on the
// disc is lost.
func (d *Drive) Format(ctx context.Context) error { return d.FormatWith(ctx, FormatOptions{}) }

// FormatWith formats a BD-RE, blank or not, as o asks. A medium that is not
// a BD-RE is refused with ErrNotRewritable before anything is sent.
func (d *Drive) FormatWith(ctx context.Context, o FormatOptions) error {
	fc, err := d.rewritable(ctx, "Format")
	if err != nil {
		return err
	}
	var pick *FormatCapacity
	for i := range fc.Formattable {
		f := &fc.Formattable[i]
		switch {
		case o.NoSpare && f.FormatType == FormatTypeBDNoSpare && pick == nil:
			pick = f
		case !o.NoSpare && (f.FormatType == FormatTypeBDWithSpare || (f.FormatType == FormatTypeFull && pick == nil)):
			pick = f
		}
	}
	if pick == nil {
		want := "30h or 00h (with spare areas)"
		if o.NoSpare {
			want = "31h (no spare areas)"
		}
		return fmt.Errorf("drive.Format: the drive offers no BD-RE format of type %s for this disc: %w", want, ErrIncompatibleMedium)
	}
	return d.longOp(ctx, "Format", func(t Transport, immed bool) error {
		return FormatUnit{Immed: immed, Blocks: pick.Blocks, FormatType: pick.FormatType, Param: pick.Param}.Execute(t)
	})
}

// Blank quick-reformats a formatted BD-RE (subtype 00b, Quick Reformat)
// with the format it has now, so the disc is blank again: what was written
// reads back as zeros. An unformatted BD-RE is refused with
// ErrNotFormatted (use Format), any other medium with ErrNotRewritable.
func (d *Drive) Blank(ctx context.Context) error {
	fc, err := d.rewritable(ctx, "Blank")
	if err != nil {
		return err
	}
	if fc.CurrentType != CapacityFormatted {
		return fmt.Errorf("drive.Blank: the BD-RE is not formatted, so there is nothing to blank; format it (stationd drive format): %w", ErrNotFormatted)
	}
	// Keep the current format: the offered descriptor whose capacity is
	// the current one; the drive's default format when none matches.
	var pick *FormatCapacity
	for i := range fc.Formattable {
		f := &fc.Formattable[i]
		if f.Blocks == fc.CurrentBlocks {
			pick = f
			break
		}
		if pick == nil && (f.FormatType == FormatTypeBDWithSpare || f.FormatType == FormatTypeFull) {
			pick = f
		}
	}
	if pick == nil {
		return fmt.Errorf("drive.Blank: the drive offers no BD-RE format for this disc: %w", ErrIncompatibleMedium)
	}
	return d.longOp(ctx, "Blank", func(t Transport, immed bool) error {
		return FormatUnit{Immed: immed, Blocks: pick.Blocks, FormatType: pick.FormatType,
			Subtype: FormatSubtypeQuickReformat, Param: pick.Param}.Execute(t)
	})
}

// rewritable checks that the current medium is a BD-RE (GET CONFIGURATION
// current profile) and returns its READ FORMAT CAPACITIES. A unit
// attention on the way (a new disc) starts the check over.
func (d *Drive) rewritable(ctx context.Context, op string) (*FormatCapacities, error) {
	var fc *FormatCapacities
	err := d.absorbAttentions(ctx, op, func() (err error) { fc, err = d.checkRewritable(ctx, op); return err })
	return fc, err
}

func (d *Drive) checkRewritable(ctx context.Context, op string) (*FormatCapacities, error) {
	t := d.bound(ctx)
	var cfg *Configuration
	if err := d.retry(ctx, op, func() (err error) { cfg, err = GetConfiguration{RT: RTOne, AllocationLength: 8}.Execute(t); return err }); err != nil {
		return nil, err
	}
	switch cfg.CurrentProfile {
	case ProfileBDRE:
	case ProfileNone:
		return nil, fmt.Errorf("drive.%s: no disc in the drive; load a BD-RE: %w", op, ErrMediumNotPresent)
	default:
		return nil, fmt.Errorf("drive.%s: the disc is %s; only a BD-RE can be formatted or blanked, a write-once disc never again: %w",
			op, cfg.CurrentProfile, ErrNotRewritable)
	}
	var fc *FormatCapacities
	if err := d.retry(ctx, op, func() (err error) { fc, err = ReadFormatCapacities{}.Execute(t); return err }); err != nil {
		return nil, err
	}
	return fc, nil
}

package drive

import (
	"context"
	"errors"
	"fmt"
)

// Identity is who the drive says it is and what media it handles.
type Identity struct {
	Vendor, Product, Revision string
	CurrentProfile            Profile
	Profiles                  []Profile // every profile the drive supports
	CanWriteBD                bool      // the BD Write feature is present
}

// Identify reads INQUIRY and GET CONFIGURATION. It is often the first
// call on a drive, so it absorbs unit attentions (06/29/00 after a reset,
// 06/3F/0E when a target's LUNs change) and starts over after each.
func (d *Drive) Identify(ctx context.Context) (*Identity, error) {
	var id *Identity
	err := d.absorbAttentions(ctx, "Identify", func() (err error) { id, err = d.identify(ctx); return err })
	return id, err
}

func (d *Drive) identify(ctx context.Context) (*Identity, error) {
	t := d.bound(ctx)
	var inq *InquiryResponse
	if err := d.retry(ctx, "Identify", func() (err error) { inq, err = Inquiry{}.Execute(t); return err }); err != nil {
		return nil, err
	}
	if inq.PeripheralType != 0x05 {
		return nil, fmt.Errorf("drive.Identify: %s %s is peripheral type 0x%02X, not an MMC drive (0x05): %w",
			inq.Vendor, inq.Product, inq.PeripheralType, ErrIllegalRequest)
	}
	var cfg *Configuration
	if err := d.retry(ctx, "Identify", func() (err error) { cfg, err = GetConfiguration{}.Execute(t); return err }); err != nil {
		return nil, err
	}
	id := &Identity{Vendor: inq.Vendor, Product: inq.Product, Revision: inq.Revision, CurrentProfile: cfg.CurrentProfile}
	for _, p := range cfg.Profiles() {
		id.Profiles = append(id.Profiles, p.Profile)
	}
	_, id.CanWriteBD = cfg.Feature(FeatureBDWriteFeature)
	return id, nil
}

// WaitReady polls TEST UNIT READY until the drive is ready. Unit
// attentions (a reset, a new medium) are absorbed, "becoming ready" and
// operations in progress are waited out with backoff. No medium, or any
// other condition, is returned at once as a typed error.
func (d *Drive) WaitReady(ctx context.Context) error {
	t := d.bound(ctx)
	attentions := 0
	again := func(err error) bool {
		// A unit attention reports one event (reset, medium change) and is
		// cleared by being reported; a drive reporting them forever is broken.
		if errors.Is(err, ErrUnitAttention) && attentions < maxAttentions {
			attentions++
			d.log.Info("drive: unit attention absorbed", "op", "WaitReady", "err", err)
			return true
		}
		return retryable(err)
	}
	return d.retryWhen(ctx, "WaitReady", again, func() error { return TestUnitReady{}.Execute(t) })
}

// Load closes the tray and waits until the medium is ready. A disc that
// arrived while the tray was out is reported as a unit attention (06/28/00)
// to the first command after it, START STOP UNIT here: Load absorbs it.
func (d *Drive) Load(ctx context.Context) error {
	t := d.bound(ctx)
	err := d.absorbAttentions(ctx, "Load", func() error {
		return d.retry(ctx, "Load", func() error { return StartStopUnit{LoEj: true, Start: true}.Execute(t) })
	})
	if err != nil {
		return err
	}
	return d.WaitReady(ctx)
}

// Eject opens the tray, absorbing pending unit attentions: whatever they
// report, the medium is on its way out. It fails with a *SenseError
// (medium removal prevented) while the drive is locked.
func (d *Drive) Eject(ctx context.Context) error {
	t := d.bound(ctx)
	return d.absorbAttentions(ctx, "Eject", func() error {
		return d.retry(ctx, "Eject", func() error { return StartStopUnit{LoEj: true}.Execute(t) })
	})
}

// Lock prevents (true) or allows (false) removing the medium. Allowing
// absorbs pending unit attentions, as Eject does. Locking does not: it
// belongs to a write sequence, after MediaInfo, and a unit attention
// there (06/28/00) says the medium MediaInfo described may be gone, so it
// is returned for the caller to look again.
func (d *Drive) Lock(ctx context.Context, lock bool) error {
	t := d.bound(ctx)
	send := func() error {
		return d.retry(ctx, "Lock", func() error { return PreventAllowMediumRemoval{Prevent: lock}.Execute(t) })
	}
	if lock {
		return send()
	}
	return d.absorbAttentions(ctx, "Lock", send)
}

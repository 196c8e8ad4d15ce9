package drive_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// TestFormatAndBlank runs Format, FormatWith and Blank on each medium
// through the simulator: a BD-RE is formatted or blanked (what was written
// reads back as zeros), anything else is refused with a typed error before
// FORMAT UNIT is sent.
func TestFormatAndBlank(t *testing.T) {
	formatted := func(ctx context.Context, d *drive.Drive) error { return d.Format(ctx) }
	blank := func(ctx context.Context, d *drive.Drive) error { return d.Blank(ctx) }
	tests := []struct {
		name     string
		media    drivesim.MediaType // 0: an empty drive
		before   func(ctx context.Context, d *drive.Drive) error
		op       func(ctx context.Context, d *drive.Drive) error
		want     error
		capacity uint32 // after: formatted capacity, 0 when op fails
		subtype  byte   // FORMAT UNIT descriptor byte 4 bits 1-0 sent
	}{
		{name: "format BD-R", media: drivesim.BDR25, op: formatted, want: drive.ErrNotRewritable},
		{name: "blank BD-R", media: drivesim.BDR25, op: blank, want: drive.ErrNotRewritable},
		{name: "blank BD-R 50", media: drivesim.BDR50, op: blank, want: drive.ErrNotRewritable},
		{name: "format empty drive", op: formatted, want: drive.ErrMediumNotPresent},
		{name: "blank unformatted BD-RE", media: drivesim.BDRE25, op: blank, want: drive.ErrNotFormatted},
		{name: "format BD-RE", media: drivesim.BDRE25, op: formatted, capacity: 11826176},
		{name: "format BD-RE without spare", media: drivesim.BDRE25,
			op: func(ctx context.Context, d *drive.Drive) error {
				return d.FormatWith(ctx, drive.FormatOptions{NoSpare: true})
			}, capacity: drive.BDRSingleLayer},
		{name: "reformat written BD-RE", media: drivesim.BDRE25, before: formatted, op: formatted, capacity: 11826176},
		{name: "blank written BD-RE", media: drivesim.BDRE25, before: formatted, op: blank,
			capacity: 11826176, subtype: drive.FormatSubtypeQuickReformat},
		{name: "blank written BD-RE without spare", media: drivesim.BDRE25, before: func(ctx context.Context, d *drive.Drive) error {
			return d.FormatWith(ctx, drive.FormatOptions{NoSpare: true})
		}, op: blank, capacity: drive.BDRSingleLayer, subtype: drive.FormatSubtypeQuickReformat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sim := newSim(t, drivesim.Options{Media: tc.media})
			spy := inject(sim, 0xFF, 0, nil) // records, injects nothing
			d := fastDrive(spy)
			if tc.media != 0 {
				if err := d.WaitReady(ctx); err != nil {
					t.Fatalf("WaitReady() = %v", err)
				}
			}
			img := image(drive.ClusterSize, 7)
			if tc.before != nil {
				if err := tc.before(ctx, d); err != nil {
					t.Fatalf("before: %v", err)
				}
				if err := d.Write(ctx, 64, img); err != nil {
					t.Fatalf("Write(64) = %v", err)
				}
				if err := d.SynchronizeCache(ctx); err != nil {
					t.Fatalf("SynchronizeCache() = %v", err)
				}
			}
			sentBefore := spy.reached(drive.OpFormatUnit)
			err := tc.op(ctx, d)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("op() = %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				if n := spy.reached(drive.OpFormatUnit) - sentBefore; n != 0 {
					t.Errorf("a refused op sent FORMAT UNIT %d times", n)
				}
				return
			}
			if p := spy.lastOut(drive.OpFormatUnit); len(p) != 12 || p[8]&3 != tc.subtype {
				t.Errorf("FORMAT UNIT parameters % x, want subtype %d", p, tc.subtype)
			}
			mi, err := d.MediaInfo(ctx)
			if err != nil || mi.State != drive.StateRandomAccess || mi.CapacitySectors != tc.capacity {
				t.Fatalf("MediaInfo() = %+v, %v; want random access, %d sectors", mi, err, tc.capacity)
			}
			got := make([]byte, len(img))
			if err := d.Read(ctx, 64, got); err != nil || !bytes.Equal(got, make([]byte, len(img))) {
				t.Errorf("Read(64) after %s = %v, zeros %v; want the old data gone", tc.name, err, bytes.Equal(got, make([]byte, len(img))))
			}
		})
	}
}

// TestMedium: an empty drive is a state with a tray position, not an
// error; the simulator reports 3A/01 (closed) and 3A/02 (open).
func TestMedium(t *testing.T) {
	tests := []struct {
		name    string
		media   drivesim.MediaType
		eject   bool
		present bool
		tray    drive.Tray
	}{
		{"empty, tray closed", 0, false, false, drive.TrayClosed},
		{"empty, tray open", 0, true, false, drive.TrayOpen},
		{"BD-R loaded", drivesim.BDR25, false, true, drive.TrayUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sim := newSim(t, drivesim.Options{Media: tc.media})
			d := fastDrive(sim)
			if tc.eject {
				if err := d.Eject(ctx); err != nil {
					t.Fatalf("Eject() = %v", err)
				}
			}
			present, tray, err := d.Medium(ctx)
			if err != nil || present != tc.present || tray != tc.tray {
				t.Errorf("Medium() = %v, %v, %v; want %v, %v, nil", present, tray, err, tc.present, tc.tray)
			}
		})
	}
}

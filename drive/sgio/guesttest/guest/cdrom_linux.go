package main

import (
	"context"
	"log/slog"

	"copystation/drive"
	"copystation/drive/sgio"
	"copystation/drive/sgio/guesttest/report"
)

// runCDROM runs the drive package against one of QEMU's scsi-cd drives
// through one node: identify, wait, media info, the whole disc read with
// READ(10), READ(12) and Drive.Read, then the tray: lock, a refused eject,
// unlock, eject, the medium-not-present errors, load, and a read again.
func runCDROM(rep *report.Writer, node string) {
	s := stepper{rep: rep, node: node, att: &attentionLog{}}
	var t *sgio.Device
	if s.do("open", func(ctx context.Context, f map[string]string) (err error) {
		t, err = sgio.Open(node)
		return err
	}) != nil {
		return
	}
	defer t.Close()
	d := drive.New(t, drive.WithLogger(slog.New(s.att)))

	s.do("identify", func(ctx context.Context, f map[string]string) error {
		id, err := d.Identify(ctx)
		if err == nil {
			identityFields(f, id)
		}
		return err
	})
	s.do("waitready", func(ctx context.Context, f map[string]string) error { return d.WaitReady(ctx) })
	s.do("mediainfo", func(ctx context.Context, f map[string]string) error {
		mi, err := d.MediaInfo(ctx)
		if err == nil {
			mediaFields(f, mi)
		}
		return err
	})
	var n uint32
	s.do("readcapacity", func(ctx context.Context, f map[string]string) (err error) {
		n, err = capacity(t)
		f["sectors"] = itoa(n)
		return err
	})
	s.do("read10", func(ctx context.Context, f map[string]string) error {
		return readAll(f, n, func(lba uint32, buf []byte) error {
			return drive.Read10{LBA: lba, Blocks: uint16(len(buf) / drive.SectorSize), Buf: buf}.Execute(t)
		})
	})
	s.do("read12", func(ctx context.Context, f map[string]string) error {
		return readAll(f, n, func(lba uint32, buf []byte) error {
			return drive.Read12{LBA: lba, Blocks: uint32(len(buf) / drive.SectorSize), Buf: buf}.Execute(t)
		})
	})
	s.do("read", func(ctx context.Context, f map[string]string) error {
		return readAll(f, n, func(lba uint32, buf []byte) error { return d.Read(ctx, lba, buf) })
	})

	s.do("lock", func(ctx context.Context, f map[string]string) error { return d.Lock(ctx, true) })
	s.do("eject-locked", func(ctx context.Context, f map[string]string) error { return d.Eject(ctx) })
	s.do("unlock", func(ctx context.Context, f map[string]string) error { return d.Lock(ctx, false) })
	s.do("eject", func(ctx context.Context, f map[string]string) error { return d.Eject(ctx) })
	s.do("tur-ejected", func(ctx context.Context, f map[string]string) error { return drive.TestUnitReady{}.Execute(t) })
	s.do("waitready-ejected", func(ctx context.Context, f map[string]string) error { return d.WaitReady(ctx) })
	s.do("mediainfo-ejected", func(ctx context.Context, f map[string]string) error {
		_, err := d.MediaInfo(ctx)
		return err
	})
	s.do("read-ejected", func(ctx context.Context, f map[string]string) error {
		return d.Read(ctx, 0, make([]byte, drive.SectorSize))
	})
	s.do("load", func(ctx context.Context, f map[string]string) error { return d.Load(ctx) })
	s.do("read-loaded", func(ctx context.Context, f map[string]string) error {
		return readAll(f, n, func(lba uint32, buf []byte) error { return d.Read(ctx, lba, buf) })
	})
}

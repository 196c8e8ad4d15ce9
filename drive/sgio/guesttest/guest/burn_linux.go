package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"

	"copystation/drive"
	"copystation/drive/sgio"
	"copystation/drive/sgio/guesttest/report"
	"copystation/simulator/drivesim"
)

// burnImage is the image the host put in the initramfs for the burn test.
const burnImage = "/disc.img"

// runBurn writes the image onto a blank BD-R in the simulator, which the
// guest kernel sees as a SCSI device through TCMU and tcm_loop, and reads
// it back, all through one node: identify, wait, identify, media info, write speed,
// WriteImage (WRITE(12), streaming), SYNCHRONIZE CACHE, CLOSE TRACK, then
// CLOSE SESSION on /dev/sg* or finalise on /dev/sr*, media info, read
// back. It ends by ejecting the disc and loading a fresh blank.
func runBurn(rep *report.Writer, node string, sim *drivesim.Drive) {
	s := stepper{rep: rep, node: node, att: &attentionLog{}}
	img, err := os.ReadFile(burnImage)
	if s.do("image", func(ctx context.Context, f map[string]string) error { return err }) != nil {
		return
	}
	var t *sgio.Device
	if s.do("open", func(ctx context.Context, f map[string]string) (err error) {
		t, err = sgio.Open(node)
		return err
	}) != nil {
		return
	}
	defer t.Close()
	d := drive.New(t, drive.WithLogger(slog.New(s.att)))

	identify := func(ctx context.Context, f map[string]string) error {
		id, err := d.Identify(ctx)
		if err == nil {
			identityFields(f, id)
		}
		return err
	}
	// The first command may meet a unit attention (a LUN added to the
	// target, a reset, a new disc); Identify absorbs it.
	s.do("identify-first", identify)
	s.do("waitready", func(ctx context.Context, f map[string]string) error { return d.WaitReady(ctx) })
	s.do("identify", identify)
	var mi *drive.MediaInfo
	if s.do("mediainfo", func(ctx context.Context, f map[string]string) (err error) {
		mi, err = d.MediaInfo(ctx)
		if err == nil {
			mediaFields(f, mi)
		}
		return err
	}) != nil {
		return
	}
	s.do("speed", func(ctx context.Context, f map[string]string) error {
		sp, err := d.ChooseWriteSpeed(ctx, 16)
		if err == nil {
			f["kBps"] = itoa(sp.KBps)
		}
		return err
	})
	var res drive.WriteResult
	s.do("writeimage", func(ctx context.Context, f map[string]string) (err error) {
		res, err = d.WriteImage(ctx, bytes.NewReader(img), drive.WriteOptions{StartLBA: mi.NextWritable, Total: int64(len(img))})
		f["sectors"], f["nextLBA"] = itoa(res.Sectors), itoa(res.NextLBA)
		return err
	})
	s.do("synccache", func(ctx context.Context, f map[string]string) error { return d.SynchronizeCache(ctx) })
	s.do("closetrack", func(ctx context.Context, f map[string]string) error {
		f["track"] = itoa(uint32(mi.OpenTrack))
		return d.CloseTrack(ctx, mi.OpenTrack)
	})
	closing := "closesession"
	if node[len("/dev/"):][:2] == "sr" {
		closing = "finalize"
	}
	s.do(closing, func(ctx context.Context, f map[string]string) error {
		if closing == "finalize" {
			return d.Finalize(ctx)
		}
		return d.CloseSession(ctx)
	})
	s.do("mediainfo-written", func(ctx context.Context, f map[string]string) error {
		mi, err := d.MediaInfo(ctx)
		if err == nil {
			mediaFields(f, mi)
		}
		return err
	})
	s.do("readback", func(ctx context.Context, f map[string]string) error {
		return readAll(f, res.Sectors, func(lba uint32, buf []byte) error { return d.Read(ctx, mi.NextWritable+lba, buf) })
	})
	s.do("readback10", func(ctx context.Context, f map[string]string) error {
		return readAll(f, res.Sectors, func(lba uint32, buf []byte) error {
			return drive.Read10{LBA: mi.NextWritable + lba, Blocks: uint16(len(buf) / drive.SectorSize), Buf: buf}.Execute(t)
		})
	})

	// A fresh blank for the next node: the tray goes out through the real
	// stack, the disc changes in the simulator, the tray comes back in.
	s.do("eject", func(ctx context.Context, f map[string]string) error { return d.Eject(ctx) })
	s.do("insert-blank", func(ctx context.Context, f map[string]string) error {
		if _, err := sim.Remove(); err != nil {
			return err
		}
		return sim.Insert(drivesim.BDR25)
	})
	s.do("load", func(ctx context.Context, f map[string]string) error { return d.Load(ctx) })
}

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"copystation/drive"
	"copystation/drive/sgio/guesttest/report"
	"copystation/drive/sgio/guesttest/tcmu"
	"copystation/simulator/drivesim"
)

// Names of the tcm_loop target and its initiator port (NAA-5 WWNs under
// the Linux-iSCSI OUI the target core uses for loopback ports).
const (
	loopWWN       = "naa.5001405c0ffee001"
	loopInitiator = "naa.5001405c0ffee002"
)

// startSimulator puts the project's BD burner simulator behind a TCMU
// backstore exported through tcm_loop, and returns when the kernel has
// scanned it. The handler keeps serving until ctx ends.
func startSimulator(ctx context.Context, rep *report.Writer) (stop func(), err error) {
	start := time.Now()
	rec := report.Record{Step: "tcmu-setup", Fields: map[string]string{}}
	defer func() {
		rec.Millis = time.Since(start).Milliseconds()
		if err != nil {
			rec.Err = err.Error()
		}
		rep.Write(rec)
	}()
	if err := os.MkdirAll("/tmp/discs", 0o755); err != nil {
		return nil, err
	}
	sim, err := drivesim.New(drivesim.Options{Dir: "/tmp/discs", Media: drivesim.BDR25, Seed: 1})
	if err != nil {
		return nil, err
	}
	b, err := tcmu.CreateBackstore("bd0", int64(drive.BDRSingleLayer)*drive.SectorSize)
	if err != nil {
		sim.Close()
		return nil, err
	}
	rec.Fields["uio"], rec.Fields["mapSize"] = b.UIO, fmt.Sprint(b.MapSize)
	dev, err := tcmu.Open(b.UIO, b.MapSize, sim, 20*time.Second)
	if err != nil {
		sim.Close()
		return nil, err
	}
	dev.Trace = func(cdb []byte, dir drive.Direction, n int, res drive.Result, err error) {
		rep.Write(report.Record{Step: "tcmu-cmd", Fields: map[string]string{"cdb": fmt.Sprintf("%x", cdb), "n": fmt.Sprint(n), "status": fmt.Sprint(res.Status), "err": fmt.Sprint(err)}})
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		err := dev.Serve(sctx)
		if sctx.Err() == nil {
			rep.Write(report.Record{Step: "tcmu-serve", Err: fmt.Sprint(err)})
		}
		served <- err
	}()
	stop = func() {
		cancel()
		<-served
		dev.Close()
		sim.Close()
	}
	if err := b.ExportLoop(loopWWN, loopInitiator); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
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
func startSimulator(ctx context.Context, rep *report.Writer) (sim *drivesim.Drive, stop func(), err error) {
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
		return nil, nil, err
	}
	sim, err = drivesim.New(drivesim.Options{Dir: "/tmp/discs", Media: drivesim.BDR25, Seed: 1})
	if err != nil {
		return nil, nil, err
	}
	b, err := tcmu.CreateBackstore("bd0", int64(drive.BDRSingleLayer)*drive.SectorSize)
	if err != nil {
		sim.Close()
		return nil, nil, err
	}
	rec.Fields["uio"], rec.Fields["mapSize"] = b.UIO, fmt.Sprint(b.MapSize)
	dev, err := tcmu.Open(b.UIO, b.MapSize, sim, 20*time.Second)
	if err != nil {
		sim.Close()
		return nil, nil, err
	}
	trace := &opTrace{count: map[byte]int{}}
	dev.Trace = trace.add
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
		trace.report(rep)
		dev.Close()
		sim.Close()
	}
	if err := b.ExportLoop(loopWWN, loopInitiator); err != nil {
		stop()
		return nil, nil, err
	}
	return sim, stop, nil
}

// opTrace counts the command blocks the kernel passed up to the handler,
// by opcode: the host checks that the writes really went through TCMU.
type opTrace struct {
	mu    sync.Mutex
	count map[byte]int
}

func (o *opTrace) add(cdb []byte, dir drive.Direction, n int, res drive.Result, err error) {
	o.mu.Lock()
	o.count[cdb[0]]++
	o.mu.Unlock()
}

func (o *opTrace) report(rep *report.Writer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f := map[string]string{}
	for op, n := range o.count {
		f["op"+strconv.FormatUint(uint64(op), 16)] = strconv.Itoa(n)
	}
	rep.Write(report.Record{Step: "tcmu-trace", Fields: f})
}

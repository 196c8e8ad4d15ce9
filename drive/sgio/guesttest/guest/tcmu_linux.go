package main

import (
	"context"
	"errors"
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

// sims are the simulated burners the guest serves: LUN 0 answers with
// fixed-format sense, LUN 1 with descriptor-format sense.
type sims struct {
	fixed, desc *drivesim.Drive
}

// startSimulators puts two of the project's BD burner simulators behind
// TCMU backstores exported as LUNs 0 and 1 of a tcm_loop target, and
// returns when the kernel has scanned them. The handlers serve until stop.
func startSimulators(ctx context.Context, rep *report.Writer) (s sims, stop func(), err error) {
	start := time.Now()
	rec := report.Record{Step: "tcmu-setup", Fields: map[string]string{}}
	defer func() {
		rec.Millis = time.Since(start).Milliseconds()
		if err != nil {
			rec.Err = err.Error()
		}
		rep.Write(rec)
	}()
	trace := &opTrace{count: map[byte]int{}}
	sctx, cancel := context.WithCancel(ctx)
	var stops []func()
	stop = func() {
		cancel()
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		trace.report(rep)
	}
	loop, err := tcmu.NewLoopTarget(loopWWN, loopInitiator)
	if err != nil {
		return s, stop, err
	}
	for lun, opts := range []drivesim.Options{
		{Dir: "/tmp/discs0", Media: drivesim.BDR25, Seed: 1},
		{Dir: "/tmp/discs1", Media: drivesim.BDR25, Seed: 2, DescriptorSense: true},
	} {
		sim, closeLUN, err := serveLUN(sctx, loop, "bd"+strconv.Itoa(lun), lun, opts, trace, rep)
		if closeLUN != nil {
			stops = append(stops, closeLUN)
		}
		if err != nil {
			return s, stop, err
		}
		rec.Fields["lun"+strconv.Itoa(lun)] = "bd" + strconv.Itoa(lun)
		if lun == 0 {
			s.fixed = sim
		} else {
			s.desc = sim
		}
	}
	return s, stop, nil
}

// serveLUN makes one simulator, its backstore and handler, and links it.
// Once the handler runs, the returned close function is set even on error;
// it waits for the handler to end (ctx cancelled) and releases everything.
func serveLUN(ctx context.Context, loop *tcmu.LoopTarget, name string, lun int, opts drivesim.Options, trace *opTrace, rep *report.Writer) (*drivesim.Drive, func(), error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, nil, err
	}
	sim, err := drivesim.New(opts)
	if err != nil {
		return nil, nil, err
	}
	b, err := tcmu.CreateBackstore(name, int64(drive.BDRSingleLayer)*drive.SectorSize)
	if err != nil {
		sim.Close()
		return nil, nil, err
	}
	dev, err := tcmu.Open(b.UIO, b.MapSize, sim, 20*time.Second)
	if err != nil {
		sim.Close()
		return nil, nil, err
	}
	dev.Trace = trace.add
	served := make(chan error, 1)
	go func() {
		err := dev.Serve(ctx)
		if !errors.Is(err, context.Canceled) {
			rep.Write(report.Record{Step: "tcmu-serve", Err: fmt.Sprint(err)})
		}
		served <- err
	}()
	closeLUN := func() {
		<-served // ctx is cancelled by the caller's stop
		dev.Close()
		sim.Close()
	}
	if err := loop.Link(lun, b); err != nil {
		return nil, closeLUN, err
	}
	return sim, closeLUN, nil
}

// opTrace counts the command blocks the kernel passed up to the handlers,
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

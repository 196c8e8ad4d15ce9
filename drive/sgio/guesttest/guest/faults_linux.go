package main

import (
	"bytes"
	"context"
	"time"

	"copystation/drive"
	"copystation/drive/sgio"
	"copystation/drive/sgio/guesttest/report"
	"copystation/simulator/drivesim"
)

// runFaults injects the simulator's faults under a blank BD-R and checks
// (in steps named prefix+...) that their sense data survive the trip through TCMU, the target core,
// tcm_loop, the midlayer and sg as the drive package's typed errors, with
// the LBA at fault: a write error in the second 64 KiB unit of an image, a
// medium error on reading back the first, and a drive that reports
// "becoming ready" for a while, which WaitReady must wait out.
func runFaults(rep *report.Writer, prefix, node string, sim *drivesim.Drive) {
	s := stepper{rep: rep, node: node}
	var t *sgio.Device
	if s.do(prefix+"open", func(ctx context.Context, f map[string]string) (err error) {
		t, err = sgio.Open(node)
		return err
	}) != nil {
		return
	}
	defer t.Close()
	d := drive.New(t)
	s.do(prefix+"waitready", func(ctx context.Context, f map[string]string) error { return d.WaitReady(ctx) })

	sim.Inject(drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: 40, Count: 1})
	image := bytes.Repeat([]byte{0x5A}, 2*drive.ClusterSize)
	s.do(prefix+"write", func(ctx context.Context, f map[string]string) error {
		res, err := d.WriteImage(ctx, bytes.NewReader(image), drive.WriteOptions{})
		f["sectors"] = itoa(res.Sectors)
		return err
	})
	s.do(prefix+"synccache", func(ctx context.Context, f map[string]string) error { return d.SynchronizeCache(ctx) })

	sim.Inject(drivesim.Fault{Kind: drivesim.FaultMediumError, LBA: 5, Count: 1})
	s.do(prefix+"read", func(ctx context.Context, f map[string]string) error {
		return d.Read(ctx, 0, make([]byte, drive.ClusterSize))
	})

	sim.Inject(drivesim.Fault{Kind: drivesim.FaultBecomingReady, Count: 1, Duration: 500 * time.Millisecond})
	s.do(prefix+"becomingready", func(ctx context.Context, f map[string]string) error { return d.WaitReady(ctx) })
	sim.ClearFaults()
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"copystation/drive/sgio/guesttest/report"
)

// device is one SCSI CD drive as the guest kernel sees it.
type device struct {
	hctl   string // host:channel:target:lun
	target int
	lun    int
	sg, sr string // device nodes
}

func run(args []string) error {
	fs := flag.NewFlagSet("guest", flag.ContinueOnError)
	reportPath := fs.String("report", "/dev/ttyS1", "where to write the report")
	want := fs.Int("devices", 1, "SCSI CD drives to wait for")
	wait := fs.Duration("wait", 20*time.Second, "how long to wait for the drives")
	withSim := fs.Bool("tcmu", false, "serve the BD burner simulator as a SCSI device through TCMU and tcm_loop")
	conformance := fs.String("conformance", "", "test binary to run TestConformanceSGIO from, at the end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out, err := openReport(*reportPath)
	if err != nil {
		return err
	}
	defer out.Close()
	rep := report.NewWriter(out)

	var uts unix.Utsname
	unix.Uname(&uts)
	rep.Write(report.Record{Step: report.StepBoot, Fields: map[string]string{
		"kernel": unix.ByteSliceToString(uts.Release[:]),
		"uptime": uptime(),
	}})

	var sim sims
	var stop func()
	if *withSim {
		sim, stop, err = startSimulators(context.Background(), rep)
		if err != nil {
			stop()
			return rep.Write(report.Record{Step: report.StepDone})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	start := time.Now()
	devs, err := waitDevices(ctx, *want)
	cancel()
	rec := report.Record{Step: "devices", Millis: time.Since(start).Milliseconds(), Fields: map[string]string{}}
	for _, d := range devs {
		rec.Fields[d.hctl] = d.sg + " " + d.sr
	}
	if err != nil {
		rec.Err = err.Error()
	}
	rep.Write(rec)

	switch {
	case !*withSim:
		for _, d := range devs {
			runCDROM(rep, d.sg)
			runCDROM(rep, d.sr)
		}
	case len(devs) == 2:
		// LUN 0: burn through sg, then a fresh blank through sr, then faults
		// with fixed sense; LUN 1: the same faults with descriptor sense.
		runBurn(rep, devs[0].sg, sim.fixed)
		runBurn(rep, devs[0].sr, sim.fixed)
		runFaults(rep, "fault-", devs[0].sg, sim.fixed)
		runFaults(rep, "dfault-", devs[1].sg, sim.desc)
	}
	if stop != nil {
		stop() // reports the handler's trace
	}
	if *conformance != "" {
		runConformance(rep, *conformance)
	}
	return rep.Write(report.Record{Step: report.StepDone, Fields: map[string]string{"uptime": uptime()}})
}

// uptime is the guest's /proc/uptime in seconds: how long the kernel took
// to reach the guest program, and to finish.
func uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return ""
	}
	return strings.Fields(string(b) + " ")[0]
}

// openReport opens the report port in raw mode, so the tty neither adds
// carriage returns nor echoes.
func openReport(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open report %s: %w", path, err)
	}
	if t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag = t.Cflag&^(unix.CBAUD|unix.CSIZE|unix.PARENB) | unix.CS8 | unix.B115200
		unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
	}
	return f, nil
}

// waitDevices polls sysfs until want CD drives (SCSI peripheral type 5)
// each have both an sg and an sr node, or ctx ends. The kernel scans the
// virtio-scsi bus asynchronously, so they appear some time after the
// modules load.
func waitDevices(ctx context.Context, want int) ([]device, error) {
	for {
		devs := scanDevices()
		if len(devs) >= want {
			return devs, nil
		}
		select {
		case <-ctx.Done():
			return devs, fmt.Errorf("found %d of %d CD drives: %w", len(devs), want, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func scanDevices() []device {
	dirs, _ := filepath.Glob("/sys/bus/scsi/devices/*:*:*:*")
	var devs []device
	for _, dir := range dirs {
		typ, err := os.ReadFile(filepath.Join(dir, "type"))
		if err != nil || strings.TrimSpace(string(typ)) != "5" {
			continue
		}
		sg, sr := firstEntry(filepath.Join(dir, "scsi_generic")), firstEntry(filepath.Join(dir, "block"))
		if sg == "" || sr == "" {
			continue
		}
		if _, err := os.Stat("/dev/" + sg); err != nil {
			continue
		}
		if _, err := os.Stat("/dev/" + sr); err != nil {
			continue
		}
		hctl := filepath.Base(dir)
		parts := strings.Split(hctl, ":")
		target, _ := strconv.Atoi(parts[2])
		lun, _ := strconv.Atoi(parts[3])
		devs = append(devs, device{hctl: hctl, target: target, lun: lun, sg: "/dev/" + sg, sr: "/dev/" + sr})
	}
	sort.Slice(devs, func(i, j int) bool {
		a, b := devs[i], devs[j]
		return a.target < b.target || a.target == b.target && a.lun < b.lun
	})
	return devs
}

func firstEntry(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		return ""
	}
	return ents[0].Name()
}

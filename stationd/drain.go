package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"copystation/stationd/api"
)

// Exit codes of `stationd drain` beyond 0 (drained, or done) and 1 (still
// burning at the deadline, or an error): the maintainer scripts tell
// "nothing runs" and "an older daemon" apart from "busy".
const (
	exitNoDaemon         = 3 // nothing answers on the socket: nothing to interrupt
	exitDrainUnsupported = 4 // the running daemon predates the drain
)

// cmdDrain drains the station for an update: no new copy starts, running
// jobs finish. With --wait it returns once none is busy (0) or at the
// deadline (1, the drain left on for the caller to cancel); --cancel ends
// the drain.
func cmdDrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd drain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "/run/stationd/stationd.sock", "the daemon's API socket")
	asJSON := fs.Bool("json", false, "print JSON")
	wait := fs.Duration("wait", 0, "wait up to this long (e.g. 2h) for the running jobs to finish; exit 1 if they still run then")
	cancel := fs.Bool("cancel", false, "end the drain: copies start again")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || (*cancel && *wait != 0) {
		fmt.Fprintln(stderr, "stationd drain: takes --wait DURATION or --cancel, and no arguments")
		return 2
	}
	c := api.NewClient(*socket)
	out := printer{w: stdout, json: *asJSON}
	s, err := c.Drain(ctx, *cancel)
	if err == nil && *wait > 0 {
		wctx, stop := context.WithTimeout(ctx, *wait)
		s, err = c.WaitDrained(wctx, 500*time.Millisecond)
		stop()
	}
	if s != nil {
		out.drain(s)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, api.ErrNoDaemon):
		fmt.Fprintf(stderr, "stationd drain: %v\n", err)
		return exitNoDaemon
	case errors.Is(err, api.ErrDrainUnsupported):
		fmt.Fprintf(stderr, "%v\n", err)
		return exitDrainUnsupported
	}
	fmt.Fprintf(stderr, "%v\n", err)
	return 1
}

func (p printer) drain(s *api.DrainStatus) {
	if p.json {
		p.enc(s)
		return
	}
	switch {
	case !s.Draining:
		fmt.Fprintln(p.w, "not draining: copies start as usual")
	case s.Idle:
		fmt.Fprintln(p.w, "draining for update: no job burning; the daemon may be restarted")
	default:
		fmt.Fprintf(p.w, "draining for update: no new copy starts; waiting for %d job(s) to finish: %s\n", len(s.Busy), strings.Join(s.Busy, " "))
	}
}

// cmdDriveEnable is `stationd drive enable N`: an operator returns drive
// N, out of service, to service; the daemon probes it first.
func cmdDriveEnable(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd drive enable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "/run/stationd/stationd.sock", "the daemon's API socket")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var n int
	if fs.NArg() != 1 || func() error { _, err := fmt.Sscanf(fs.Arg(0), "%d", &n); return err }() != nil {
		fmt.Fprintln(stderr, "stationd drive enable: give the drive's index, as `stationd status` lists it")
		return 2
	}
	s, err := api.NewClient(*socket).EnableDrive(ctx, n)
	if err != nil {
		fmt.Fprintf(stderr, "stationd drive enable: %v\n", err)
		return 1
	}
	printer{w: stdout, json: *asJSON}.status(s)
	return 0
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/job"
)

// testHooks, nil in the stationd binary, is set only by the test binary
// (which re-executes itself as stationd): it returns the crash test's hook
// run after each journaled transition, so no kill switch ships in
// production.
var testHooks func() func(job.Job)

func afterTransition() func(job.Job) {
	if testHooks == nil {
		return nil
	}
	return testHooks()
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/stationd/station.toml", "the configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "stationd: %v\n", err)
		return 1
	}
	log := newLogger(stderr, cfg.LogLevel)
	daemon.SetGCPercent()
	deps := daemon.Deps{Logger: log, AfterTransition: afterTransition(), Drives: openDrives}
	if err := daemon.Run(ctx, cfg, deps); err != nil {
		log.Error("stationd stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"

	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/job"
)

// CrashEnv names a job state; the daemon kills itself with SIGKILL right
// after journaling a transition into it. Only the crash test sets it.
const CrashEnv = "STATIOND_CRASH_AT"

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
	deps := daemon.Deps{Logger: log, AfterTransition: crashHook()}
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

// crashHook returns the crash test's kill switch, or nil.
func crashHook() func(job.Job) {
	at := job.State(os.Getenv(CrashEnv))
	if at == "" {
		return nil
	}
	return func(j job.Job) {
		if j.State == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never act on the transition
		}
	}
}

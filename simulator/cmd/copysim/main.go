// Command copysim runs a simulated BD burner and disc robot as a separate
// process on pseudo-terminals, for the station daemon, the demo and tests.
//
//	go run ./simulator/cmd/copysim --drive-link /tmp/bd0 --robot-link /tmp/robot0
//
// The drive speaks the drive/serial framing; the robot speaks the line
// protocol of docs/robot-protocol.md. SIGINT or SIGTERM stops it and removes
// its links.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Main parses flags and runs until ctx ends; it returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("copysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "copysim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	logger := log.New(stderr, "copysim: ", log.LstdFlags)
	if err := Run(ctx, c, stdout, logger); err != nil {
		logger.Print(err)
		return 1
	}
	return 0
}

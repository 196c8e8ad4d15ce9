// Command stationd is the copy station daemon and its command-line client.
//
//	stationd run --config /etc/stationd/station.toml   the daemon
//	stationd status|jobs|burn|watch|cancel [--json]    talk to it
//	stationd drain [--wait DURATION] [--cancel]        drain it for an update
//	stationd demo [--json]                             the whole job, simulated
//	stationd titles add|list|remove ...                installed title packages
//	stationd drive|tpm|enroll|disc ...                 diagnostics at the machine
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: stationd COMMAND [flags]

Daemon:
  run     --config FILE                 run the station daemon
  screen  [--listen ADDR] [--staff-pin-file F]  the kiosk screen for the daemon on --socket (loopback only)
` + nodeUsage + `
Client (talks to the daemon on --socket, default /run/stationd/stationd.sock):
  status  [--json]                      the station at a glance
  jobs    [--active] [--json]           every job, or the unfinished ones
  burn    --title T --token TOK [--authorization FILE] [--json] [--watch]
  watch   JOB [--json]                  follow a job: progress bar with rate, ETA and phase
  cancel  JOB [--json]                  stop a job
  tamper-clear --code CODE              clear a latched tamper alarm
  drain   [--wait DURATION] [--cancel]  drain for an update: no new copy starts, running jobs finish
                                         (--wait: exit 0 once none runs, 1 at the deadline)
  drive enable N                        return drive N, out of service, to service (after a check)

At the machine:
  titles  add|list|remove ...           install title packages (checked once, burned in one read)
  drive info|write|read ...             the optical drive
  tpm info|init ...                     the station's TPM
  enroll --out request.json             the enrollment request for an operator
  disc check --device URI --device-keys FILE --kek-file KEK
                                        read a burned disc back as a player would
                                         check the disc's copy record, light-client proved
`

// Main runs one stationd command and returns its exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, rest, stdout, stderr)
	case "screen":
		return cmdScreen(ctx, rest, stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, stdout, stderr)
	case "simrun":
		return cmdSimRun(ctx, rest, stdout, stderr)
	case "titles":
		return cmdTitles(ctx, rest, stdout, stderr)
	case "drain":
		return cmdDrain(ctx, rest, stdout, stderr)
	case "drive":
		if len(rest) > 0 && rest[0] == "enable" {
			return cmdDriveEnable(ctx, rest[1:], stdout, stderr)
		}
	case "status", "jobs", "burn", "watch", "cancel", "tamper-clear":
		return cmdClient(ctx, cmd, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	if fn := tools[cmd]; fn != nil {
		return fn(ctx, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "stationd: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// tools are the diagnostic commands other packages provide, keyed by the
// first argument (see tools.go).
var tools = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{}

package validatord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"copystation/validatord/chain"
)

// ErrNotAlive is a failed liveness check: the watchdog is not fed, and the
// service manager restarts the node.
var ErrNotAlive = errors.New("the node is not alive")

// watchdogInterval is half of systemd's $WATCHDOG_USEC, when the watchdog is
// on for this process ($WATCHDOG_PID unset or ours).
func watchdogInterval(getenv func(string) string, pid int) (time.Duration, bool) {
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0, false
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return 0, false
	}
	return time.Duration(usec) * time.Microsecond / 2, true
}

// keepAlive sends WATCHDOG=1 every interval while alive says the node is
// alive, until ctx ends. A check gets at most one interval: a node that
// cannot answer within it is not fed.
func keepAlive(ctx context.Context, interval time.Duration, alive func(context.Context) error, notify func(string) error, logf func(string, ...any)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		cctx, cancel := context.WithTimeout(ctx, interval)
		err := alive(cctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				logf("validatord: watchdog not fed: %v", err)
			}
			failing = true
		default:
			if failing {
				logf("validatord: watchdog fed again")
			}
			failing = false
			if err := notify("WATCHDOG=1"); err != nil {
				logf("validatord: notify: %v", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// nodeAlive checks CometBFT runs and the application answers an Info
// request through CometBFT's own connection to it (which waits behind a
// block being executed, so a stuck block stops the pings), within ctx.
func nodeAlive(n *chain.Node) func(context.Context) error {
	return func(ctx context.Context) error {
		if !n.Comet.IsRunning() {
			return fmt.Errorf("%w: CometBFT has stopped", ErrNotAlive)
		}
		done := make(chan error, 1)
		go func() {
			_, err := n.Client.ABCIInfo(ctx)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("%w: the application does not answer: %v", ErrNotAlive, err)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%w: the application did not answer in time", ErrNotAlive)
		}
	}
}

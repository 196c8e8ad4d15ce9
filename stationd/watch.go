package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"copystation/stationd/api"
)

// watchJob follows a job to its end, drawing a progress bar on out: one
// line redrawn on a terminal, a line per change elsewhere.
func watchJob(ctx context.Context, c *api.Client, id string, out io.Writer) (*api.Job, error) {
	last := ""
	format := "    %s\n"
	if isTerminal(out) {
		format = "\r    %-90s"
	}
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if line := progressLine(j); line != last {
			fmt.Fprintf(out, format, line)
			last = line
		}
		if j.State.Terminal() {
			if isTerminal(out) {
				fmt.Fprintln(out)
			}
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
